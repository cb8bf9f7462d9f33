"""The Governance screen, the checklist dialog, the model card preview and the Audit screen,
driven with Textual's Pilot.

A second person is the same board opened with another actor (`as_member`), as a second
terminal would be; approvals by the assignee are refused by the service and the dialog shows
its message.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text
from sqlmodel import select
from textual.widgets import Input, Markdown, OptionList

from mlboard.services.experiments.sync import sync
from mlboard.services.governance.audit import audit_entries
from mlboard.services.governance.gates import check_item, story_gates
from mlboard.services.stories.records import create_story, edit_story
from mlboard.services.team.members import add_member
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ChecklistItem
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.governance.audit import AuditScreen
from mlboard.tui.screens.governance.model_card import ModelCardScreen
from mlboard.tui.screens.governance.screen import ChecklistModal, GovernanceScreen

from mlflow_stores import MlflowStore, empty_store

SIZE = (160, 45)
TITLE = "[/bar] Ship [red]churn model"
STANDARD = ["model_card", "bias_evaluation", "privacy_review", "approval"]


def as_member(ws: Workspace, handle: str) -> Workspace:
    return dataclasses.replace(ws, actor=handle)


@pytest.fixture
def team(workspace: Workspace) -> Workspace:
    for handle in ("ana", "bob", "cy"):
        add_member(workspace, handle)
    return workspace


def model_story(ws: Workspace) -> str:
    fields = {"kind": "model", "sensitivity": "personal", "assignee": "ana", "status": "review"}
    return create_story(ws, TITLE, fields).key


async def open_screen(pilot, screen):
    pilot.app.push_screen(screen)
    await settle(pilot)
    assert pilot.app.screen is screen
    return screen


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cells(table, column: str) -> list[str]:
    return [str(table.get_cell(row, column)) for row in table.rows]


def rendered(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def choose(pilot, modal: ChecklistModal, item: str) -> None:
    items = modal.query_one("#checklist-items", OptionList)
    items.focus()
    items.highlighted = [c.item for c in modal.choices].index(item)
    await pilot.pause()


async def check(pilot, modal: ChecklistModal, item: str, note: str = "", link: str = "") -> str:
    """Type the note and link, then Enter on the item, as a person would; returns the message."""
    await choose(pilot, modal, item)
    for selector, value in (("#checklist-note", note), ("#checklist-link", link)):
        if value:
            await pilot.click(selector)
            await pilot.press(*value)
    await choose(pilot, modal, item)
    await pilot.press("enter")
    await pilot.pause()
    return rendered(modal, "#checklist-message")


# --- the Governance list -----------------------------------------------------------------


async def test_a_personal_model_story_shows_what_is_missing_and_who_can_sign(team):
    key = model_story(team)
    create_story(team, "Done-ready data task", {"kind": "data"})  # no gates: not listed
    app = MlboardApp(team)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        table = screen.stories_table
        assert cells(table, "key") == [key]
        assert cells(table, "title") == [TITLE]  # literal, not markup
        assert cells(table, "sensitivity") == ["personal (story)"]
        assert cells(table, "missing") == [", ".join(STANDARD)]
        assert cells(table, "signers") == ["@bob, @cy"]
        detail = rendered(screen, "#gate-detail-text")
        assert "✗ approval by someone other than @ana" in detail
        assert "any member but @ana: @bob, @cy" in detail
        assert "model story with personal data (from story)" in detail
        assert "1 unfinished stories have unmet gates" in rendered(screen, "#governance-summary")


async def test_checking_every_item_through_the_dialog_takes_the_story_off_the_list(team):
    key = model_story(team)
    ana = as_member(team, "ana")
    app = MlboardApp(ana)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        await pilot.press("enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChecklistModal) and modal.key == key
        assert TITLE in rendered(modal, "#checklist-heading")
        assert "acting as @ana" in rendered(modal, "#checklist-heading")

        said = await check(pilot, modal, "model_card", link="https://wiki/churn-card")
        assert "✓ model_card checked by @ana" in said
        await check(pilot, modal, "bias_evaluation", note="parity within 2 points")
        await check(pilot, modal, "privacy_review", note="DPIA-42 [red]signed")

        said = await check(pilot, modal, "approval")
        assert "must come from someone other than its assignee @ana" in said
        assert "you are acting as ana" in said

        report = story_gates(team, key)
        assert [c.item for c in report.checklist] == STANDARD[:3]
        privacy = next(c for c in report.checklist if c.item == "privacy_review")
        assert (privacy.by, privacy.note) == ("ana", "DPIA-42 [red]signed")
        assert report.missing == ["approval by someone other than @ana"]

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert cells(screen.stories_table, "missing") == ["approval"]

    app = MlboardApp(as_member(team, "bob"))  # the reviewer, at their own terminal
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        said = await check(pilot, modal, "approval", note="LGTM")
        assert "✓ approval checked by @bob" in said
        assert "may move to done ✓" in rendered(modal, "#checklist-heading")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.stories_table.row_count == 0
        assert "Nothing is waiting on a gate" in rendered(screen, "#governance-summary")
    assert story_gates(team, key).may_move_to_done


async def test_u_unchecks_an_item_and_the_dialog_reports_the_change(team):
    key = model_story(team)
    check_item(team, key, "model_card", note="v1")
    results: list[bool | None] = []
    app = MlboardApp(team)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ChecklistModal(key.lower()), results.append)  # from anywhere, by key
        await pilot.pause()
        modal = app.screen
        await choose(pilot, modal, "model_card")
        await pilot.press("u")
        await pilot.pause()
        assert "model_card unchecked" in rendered(modal, "#checklist-message")
        with team.reading() as session:
            assert session.exec(select(ChecklistItem)).all() == []
        await pilot.press("escape")
        await pilot.pause()
    assert results == [True]


async def test_typing_in_the_note_does_not_trigger_the_dialogs_keys_and_enter_checks(team):
    key = model_story(team)
    check_item(team, key, "model_card")
    app = MlboardApp(team)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ChecklistModal(key))
        await pilot.pause()
        modal = app.screen
        await choose(pilot, modal, "model_card")
        await pilot.click("#checklist-note")
        await pilot.press(*"use u")
        assert modal.query_one("#checklist-note", Input).value == "use u"
        assert [c.item for c in story_gates(team, key).checklist] == ["model_card"]
        await pilot.press("enter")  # Enter in the note checks the highlighted item again
        await pilot.pause()
        [again] = story_gates(team, key).checklist
        assert (again.item, again.note) == ("model_card", "use u")
        assert modal.query_one("#checklist-note", Input).value == ""


# --- the model card --------------------------------------------------------------------------


@pytest.fixture
def registered(team, tmp_path) -> Workspace:
    """A model story with two registered versions of `churn` from its runs (as in
    test_model_card), synced from a real MLflow store."""
    store: MlflowStore = empty_store(tmp_path / "store")
    create_story(
        team, "Churn model v2",
        {"kind": "model", "target": "val_auc >= 0.8", "assignee": "ana", "sensitivity": "personal"},
    )  # fmt: skip
    champion = store.run("churn", "lgbm-v1", story="ML-1", metrics={"val_auc": 0.83})
    challenger = store.run("churn", "lgbm-v2", story="ML-1", start=30, metrics={"val_auc": 0.79})
    for run_id in (champion, challenger):
        store.client.create_registered_model("churn") if run_id == champion else None
        store.client.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
    store.client.set_registered_model_alias("churn", "champion", "1")
    sync(team, store.uri)
    return team


async def test_the_model_card_preview_shows_metrics_and_todos(registered):
    app = MlboardApp(registered)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        assert cells(screen.models_table, "model") == ["churn"]
        assert cells(screen.models_table, "aliases") == ["champion v1"]
        assert cells(screen.models_table, "stories") == ["ML-1"]
        await pilot.press("M")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ModelCardScreen)
        shown = card.query_one("#card-markdown", Markdown).source.splitlines()
        assert shown[0] == "# Model card: churn version 1"
        assert "- **Metric val_auc**: 0.83" in shown
        assert "- ⚠ **TODO**: no bias/fairness evaluation on ML-1's checklist" in shown
        assert "- TODO: no bias/fairness evaluation on ML-1's checklist" in card.markdown
        gaps = rendered(card, "#card-gaps")
        assert "TODOs" in gaps and "considerations" in gaps
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_without_models_the_model_card_key_says_how_to_get_them(team):
    app = MlboardApp(team)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        await pilot.press("M")
        await pilot.pause()
        assert app.screen is screen
        assert any("No registered model" in str(n.message) for n in app._notifications)


# --- the Audit screen ------------------------------------------------------------------------


@pytest.fixture
def audited(team) -> Workspace:
    first = model_story(team)
    second = create_story(team, "Label drift [b]check", {"kind": "data"}).key
    check_item(as_member(team, "bob"), first, "model_card", note="card [red]v1")
    edit_story(as_member(team, "cy"), second, {"status": "todo"})
    return team


async def test_the_audit_screen_lists_the_latest_entries_newest_first(audited):
    app = MlboardApp(audited)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, AuditScreen())
        entries = audit_entries(audited)
        ids = cells(screen.table, "id")
        assert ids == [str(e.id) for e in reversed(entries)]
        assert cells(screen.table, "change")[0] == "status: backlog → todo"
        assert cells(screen.table, "actor")[0] == "cy"
        assert 'after\n  status: "todo"' in rendered(screen, "#audit-entry-text")
        changes = dict(
            zip(cells(screen.table, "entity"), cells(screen.table, "change"), strict=False)
        )
        assert "note: card [red]v1" in changes["checklistitem"]  # literal, not markup
        assert (
            cells(screen.table, "change")[-1]
            == "handle: ana, name: ana, points_per_day: 1.0, active: true"
        )


async def test_the_filter_narrows_to_a_story_or_an_actor(audited):
    app = MlboardApp(audited)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, AuditScreen())
        everything = screen.table.row_count
        await pilot.press("slash", *"ml-2")
        await settle(pilot)
        assert set(cells(screen.table, "key")) == {"ML-2"}
        assert 0 < screen.table.row_count < everything
        await pilot.press("enter")
        assert screen.focused is screen.table
        await pilot.press("slash", *(["backspace"] * 4), *"@bob")
        await settle(pilot)
        assert set(cells(screen.table, "actor")) == {"bob"}
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.row_count == everything


async def test_verify_says_intact_then_shows_where_a_tampered_entry_breaks_the_chain(audited):
    app = MlboardApp(audited)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, AuditScreen())
        total = len(audit_entries(audited))
        await pilot.press("v")
        await settle(pilot)
        assert f"✓ audit trail intact: {total} entries verified" in rendered(
            screen, "#audit-summary"
        )
        target = audit_entries(audited)[2].id
        with audited.engine.begin() as connection:
            connection.execute(
                text("UPDATE auditentry SET actor = 'mallory' WHERE id = :id"), {"id": target}
            )
        await pilot.press("v")
        await settle(pilot)
        summary = rendered(screen, "#audit-summary")
        assert f"✗ audit trail broken at entry {target}: its content does not match" in summary
        assert cells(screen.table, "id")[screen.table.cursor_row] == str(target)


# --- the read-only helpers behind the screens ------------------------------------------------


def test_waiting_on_gates_lists_closest_to_done_first_with_the_approvers(team):
    from mlboard.services.governance.queue import waiting_on_gates

    backlog = create_story(team, "Later", {"kind": "model", "sensitivity": "personal"}).key
    review = model_story(team)
    create_story(team, "Ungated", {"kind": "data", "status": "review"})
    waiting = waiting_on_gates(team)
    assert [s.key for s in waiting] == [review, backlog]
    assert waiting[0].approvers == ("bob", "cy")  # not the assignee
    assert waiting[1].approvers == ("ana", "bob", "cy")  # unassigned: anyone


def test_latest_audit_narrows_by_key_or_actor_and_pages_newest_first(audited):
    from mlboard.services.governance.audit_search import change_summary, latest_audit

    everything = latest_audit(audited)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert [e.id for e in latest_audit(audited, limit=2)] == [e.id for e in everything[:2]]
    assert {e.key for e in latest_audit(audited, "ml-2")} == {"ML-2"}
    assert {e.actor for e in latest_audit(audited, "@BOB")} == {"bob"}
    assert latest_audit(audited, "@ml-2") == []  # @ means an actor only
    assert change_summary("storyevent", None, {"field": "status", "old": "todo", "new": None}) == (
        "status: todo → —"
    )
    assert change_summary("member", {"role": "lead"}, {"role": "ic"}) == "role: lead → ic"
    assert change_summary("member", {"handle": "ana", "at": "x"}, None) == "deleted handle: ana"
