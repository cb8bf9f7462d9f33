"""Stories through the services: every change is validated, applied and written to history."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from mlboard.errors import UserError
from mlboard.services.planning.sprints import add_sprint
from mlboard.services.stories.records import (
    create_story,
    edit_story,
    get_story,
    list_stories,
    move_story,
    rank_story,
    step_story,
    story_history,
)
from mlboard.services.team.members import add_member
from mlboard.store.tables import Story, StoryEvent
from mlboard.text_safety import terminal_safe

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


@pytest.fixture
def team(workspace):
    add_member(workspace, "ana", "Ana Souza")
    add_sprint(workspace, "Sprint 1", start="2026-11-16")
    return workspace


def test_keys_count_up_with_the_configured_prefix(team):
    first = create_story(team, "Baseline logistic regression")
    second = create_story(team, "Feature store backfill", {"kind": "data"})
    assert (first.key, second.key) == ("ML-1", "ML-2")
    assert second.kind == "data"
    assert first.status == "backlog"


def test_a_story_planned_into_a_sprint_starts_in_todo(team):
    story = create_story(team, "Tune LightGBM", {"sprint": "Sprint 1", "assignee": "ana"})
    assert (story.status, story.sprint, story.assignee) == ("todo", "Sprint 1", "ana")


def test_creation_writes_one_created_event(team):
    story = create_story(team, "x", {"points": "3", "target": "val_f1>=0.82"})
    history = story_history(team, story.key)
    assert [(e.field, e.actor) for e in history] == [("created", "tester")]
    assert story.events == 1
    assert str(story.target) == "val_f1 >= 0.82"


def test_each_changed_field_writes_an_event_with_old_and_new(team, clock):
    story = create_story(team, "Churn model", {"points": "3"})
    clock.advance(hours=1)
    edit_story(team, story.key, {"points": "5", "assignee": "ana", "title": "Churn model"})
    changes = [(e.field, e.old, e.new) for e in story_history(team, story.key)[1:]]
    assert changes == [("points", "3", "5"), ("assignee", None, "ana")]
    assert get_story(team, story.key).updated_at == clock()


def test_an_edit_with_one_bad_field_changes_nothing(team):
    story = create_story(team, "x", {"points": "3"})
    with pytest.raises(UserError, match="points"):
        edit_story(team, story.key, {"title": "renamed", "points": "-2"})
    after = get_story(team, story.key)
    assert (after.title, after.points, after.events) == ("x", 3.0, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"points": "-1"}, "points: must be a number >= 0"),
        ({"points": "three"}, "points: must be a number"),
        ({"target": "f1 => x"}, "invalid target 'f1 => x'"),
        ({"kind": "chore"}, "unknown kind 'chore'"),
        ({"status": "doing"}, "unknown status 'doing'"),
        ({"assignee": "nobody"}, "member nobody not found"),
        ({"sprint": "Sprint 9"}, "sprint 'Sprint 9' not found"),
        ({"estimate_low": "8", "estimate_high": "3"}, "low \\(8\\) is above high \\(3\\)"),
        ({"sensitivity": "secret"}, "unknown sensitivity"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(team, fields, message):
    with pytest.raises(UserError, match=message):
        create_story(team, "x", fields)
    assert list_stories(team) == []


def test_status_dates_follow_the_workflow(team, clock):
    story = create_story(team, "x", {"kind": "infra"})
    started = clock.advance(hours=1)
    move_story(team, story.key, "in-progress")
    done = clock.advance(days=2)
    assert move_story(team, story.key, "done").done_at == done
    clock.advance(hours=1)
    reopened = move_story(team, story.key, "in_progress")
    assert (reopened.started_at, reopened.done_at) == (started, None)


def test_stepping_walks_the_workflow_and_stops_at_the_ends(team):
    story = create_story(team, "x")
    assert step_story(team, story.key, 1).status == "todo"
    assert step_story(team, story.key, -1).status == "backlog"
    with pytest.raises(UserError, match="already in the first status"):
        step_story(team, story.key, -1)


def test_blocking_needs_a_reason_and_unblocking_clears_it(team):
    story = create_story(team, "x")
    blocked = edit_story(team, story.key, {"blocked": "waiting on legal"})
    assert (blocked.blocked, blocked.blocked_reason) == (True, "waiting on legal")
    unblocked = edit_story(team, story.key, {"blocked": ""})
    assert (unblocked.blocked, unblocked.blocked_reason) == (False, "")
    fields = [(e.field, e.old, e.new) for e in story_history(team, story.key)[1:]]
    assert fields == [("blocked", None, "waiting on legal"), ("blocked", "waiting on legal", None)]


def test_unknown_story_key(team):
    with pytest.raises(UserError, match="story ML-404 not found"):
        move_story(team, "ML-404", "done")


def test_ranking_orders_the_backlog(team):
    keys = [create_story(team, title).key for title in ("a", "b", "c", "d")]
    rank_story(team, "ML-4", top=True)
    rank_story(team, "ML-1", after="ML-3")
    rank_story(team, "ML-2", bottom=True)
    assert [s.key for s in list_stories(team)] == ["ML-4", "ML-3", "ML-1", "ML-2"]
    assert len(keys) == 4
    with pytest.raises(UserError, match="exactly one"):
        rank_story(team, "ML-1", top=True, bottom=True)


def test_ranking_survives_exhausted_gaps(team):
    for title in ("a", "b"):
        create_story(team, title)
    create_story(team, "mover")
    for _ in range(80):  # far more halvings than a float's precision allows
        rank_story(team, "ML-3", before="ML-2")
        rank_story(team, "ML-2", before="ML-3")
    order = [s.key for s in list_stories(team)]
    assert order == ["ML-1", "ML-2", "ML-3"]


def test_events_and_story_share_one_transaction(team, workspace):
    story = create_story(team, "x")
    with pytest.raises(RuntimeError), workspace.writing() as session:
        row = session.exec(select(Story).where(Story.key == story.key)).one()
        row.title = "half written"
        session.add(StoryEvent(story_id=row.id, at=workspace.now(), actor="t", field="title"))
        session.flush()
        raise RuntimeError("crash in the middle of an action")
    assert get_story(team, story.key).title == "x"
    assert get_story(team, story.key).events == 1


def test_literal_text_is_kept_exactly(team):
    title = "[/bar] [red]x"
    assert get_story(team, create_story(team, title).key).title == title


HIDDEN = {
    "\x1b": "escape",
    "\r\n": "line break",
    "\u202e": "right-to-left override",
    "\u202d": "left-to-right override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
    "\u200f": "right-to-left mark",
    "\u200b": "zero-width space",
    "\u2060": "word joiner",
    "\ufeff": "byte order mark",
    "\u00ad": "soft hyphen",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
    "\ud800": "lone surrogate",
}


@pytest.mark.parametrize("hidden", HIDDEN, ids=HIDDEN.values())
def test_characters_that_hide_or_reorder_text_become_spaces(hidden):
    assert terminal_safe(f"pay{hidden}gpt.exe") == "pay" + " " * len(hidden) + "gpt.exe"


@pytest.mark.parametrize(
    "text",
    [
        "تدريب النموذج على بيانات العملاء",  # Arabic, right to left by itself
        "אימון המודל מחדש",  # Hebrew
        "می\u200cخواهم",  # Persian: the zero-width non-joiner spells the word
        "क्\u200dष",  # Devanagari: the zero-width joiner picks the half form
        "👩\u200d💻 and 🏳️\u200d🌈",  # emoji sequences held by joiners
        "機械学習 e\u0301 [/bar] [red]x\u00a0·",  # CJK, combining accent, markup, no-break space
        "\ue0a0 main \U0001fae8",  # an icon font's branch sign; an emoji newer than Unicode 14
    ],
)
def test_scripts_joiners_and_markup_stay_as_they_are(text):
    assert terminal_safe(text) == text


@given(st.text())
def test_cleaning_only_swaps_hidden_characters_for_spaces(text):
    cleaned = terminal_safe(text)
    assert len(cleaned) == len(text)
    for before, after in zip(text, cleaned, strict=True):
        hidden = unicodedata.category(before) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
        assert after == (" " if hidden and before not in "\u200c\u200d" else before)
    assert terminal_safe(cleaned) == cleaned


@given(st.text(st.characters(exclude_categories=["Cc", "Cf", "Zl", "Zp", "Cs"])))
def test_text_without_hidden_characters_is_kept_exactly(text):
    assert terminal_safe(text) == text


def test_a_title_or_reason_with_an_override_is_stored_without_it(team):
    story = create_story(team, "\u202ereverse\u2028me\u200b", {"blocked": "\u2067لا\u2069 \ufeff"})
    assert (story.title, story.blocked_reason) == ("reverse me", "لا")
