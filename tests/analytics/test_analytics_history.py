"""StoryTimeline.value_at follows the store's convention, and agrees with a plain reading of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from analytics_builders import Board
from hypothesis import given, settings
from hypothesis import strategies as st

from mlboard.analytics.history import (
    FieldChange,
    StoryFacts,
    StoryTimeline,
    build_timelines,
    current_text,
    format_points,
    parse_points,
)

from hypothesis_profiles import examples

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


def value_at(
    facts: StoryFacts, changes: Iterable[FieldChange], field: str, t: datetime
) -> str | None:
    """The store's convention read plainly, to check StoryTimeline's binary search against."""
    if t < facts.created_at:
        return None
    own = sorted(
        (c for c in changes if c.story == facts.key and c.field == field), key=attrgetter("at")
    )
    if not own:
        return current_text(facts, field)
    before = [c for c in own if c.at <= t]
    return before[-1].new if before else own[0].old


def test_value_at_follows_the_store_convention() -> None:
    board = Board().create("ML-1", T0, status="todo", points=3)
    board.set("ML-1", T0 + 2 * HOUR, "status", "in_progress")
    board.set("ML-1", T0 + 5 * HOUR, "status", "done")
    tl = board.timelines()["ML-1"]
    assert tl.value_at("status", T0 - HOUR) is None  # not created yet
    assert tl.value_at("status", T0) == "todo"  # old of the first change after T0
    assert tl.value_at("status", T0 + 2 * HOUR) == "in_progress"  # at: new value
    assert tl.value_at("status", T0 + 4 * HOUR) == "in_progress"
    assert tl.value_at("status", T0 + 9 * HOUR) == "done"
    assert tl.value_at("points", T0 + HOUR) == "3"  # never changed: current value
    assert tl.value_at("sprint", T0 + HOUR) is None


def test_timeline_reads_entries_and_initial_values() -> None:
    board = Board().create("ML-2", T0, points=2.5, sprint="S1")
    for hours, status in ((1, "in_progress"), (2, "done"), (3, "in_progress"), (4, "done")):
        board.set("ML-2", T0 + hours * HOUR, "status", status)
    tl = board.timelines()["ML-2"]
    assert tl.initial("status") == "todo"
    assert tl.entries("done") == [T0 + 2 * HOUR, T0 + 4 * HOUR]
    assert tl.first_entry("in_progress") == T0 + HOUR
    assert tl.last_entry("done") == T0 + 4 * HOUR
    assert tl.points_at(T0) == 2.5
    assert tl.ever("sprint", "S1") and not tl.ever("sprint", "S2")


def test_a_story_created_done_entered_done_at_creation() -> None:
    tl = Board().create("ML-3", T0, status="done").timelines()["ML-3"]
    assert tl.entries("done") == [T0]


def test_build_timelines_ignores_events_of_unknown_stories() -> None:
    board = Board().create("ML-4", T0)
    stray = FieldChange("GONE-1", T0, "status", "todo", "done")
    timelines = build_timelines(board.facts.values(), [*board.changes, stray])
    assert list(timelines) == ["ML-4"]


def test_points_text_round_trips() -> None:
    assert format_points(3.0) == "3" and format_points(2.5) == "2.5" and format_points(None) is None
    assert parse_points("3") == 3.0 and parse_points("2.5") == 2.5
    assert parse_points(None) is None and parse_points("") is None and parse_points("x") is None


STATUSES = ["todo", "in_progress", "review", "done"]


@settings(max_examples=examples(100), deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from(["status", "points"]), st.integers(0, 3)),
        max_size=12,
    ),
    probes=st.lists(st.integers(-2, 60), min_size=1, max_size=10),
)
def test_timeline_agrees_with_the_reference_value_at(
    steps: list[tuple[int, str, int]], probes: list[int]
) -> None:
    board = Board().create("ML-5", T0, points=1)
    when = T0
    for gap, field, choice in steps:
        when += gap * HOUR  # gap 0: several changes at the same instant
        value = STATUSES[choice] if field == "status" else choice + 1
        board.set("ML-5", when, field, value)
    facts: StoryFacts = board.facts["ML-5"]
    tl = StoryTimeline(facts, board.changes)
    for probe in probes:
        t = T0 + probe * HOUR
        for field in ("status", "points", "sprint"):
            assert tl.value_at(field, t) == value_at(facts, board.changes, field, t)
