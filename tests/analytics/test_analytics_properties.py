"""Properties over generated histories (hypothesis), kept to ~100 examples each."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from analytics_builders import Board, at, sprint
from hypothesis import given, settings
from hypothesis import strategies as st

from mlboard.analytics.burndown import burndown
from mlboard.analytics.capacity import team_capacity
from mlboard.analytics.forecast import Throughput, forecast_when
from mlboard.analytics.velocity import average_velocity, velocity_chart

from hypothesis_profiles import examples

START = date(2024, 3, 4)  # Monday
END = date(2024, 3, 17)  # Sunday: 14 days
SPRINT = sprint("S1", START, END)
POINTS = st.sampled_from([None, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0])

# One generated event: (hour offset from sprint start − 2 days, action, argument).
EVENT = st.tuples(
    st.integers(0, 16 * 24),
    st.sampled_from(["move_in", "move_out", "estimate", "start", "finish", "reopen"]),
    POINTS,
)
STORY = st.tuples(st.integers(-48, 14 * 24), st.booleans(), POINTS, st.lists(EVENT, max_size=6))


def _board(stories: list, allow_reopen: bool) -> Board:
    """Stories created around the sprint, then moved in/out, re-estimated, started, finished;
    without `allow_reopen` a done story never changes again (so it never leaves done)."""
    board = Board()
    origin = at(START, 0)
    for index, (created, in_sprint, points, events) in enumerate(stories):
        key = f"ML-{index}"
        board.create(
            key,
            origin + timedelta(hours=created),
            points=points,
            sprint="S1" if in_sprint else None,
        )
        for offset, action, value in sorted(events, key=lambda event: event[0]):
            when = origin + timedelta(hours=max(created, offset - 48))
            facts = board.facts[key]
            if facts.status == "done" and not allow_reopen:
                break
            match action:
                case "move_in":
                    board.set(key, when, "sprint", "S1")
                case "move_out":
                    board.set(key, when, "sprint", None)
                case "estimate":
                    board.set(key, when, "points", value)
                case "start":
                    board.set(key, when, "status", "in_progress")
                case "finish":
                    board.set(key, when, "status", "done")
                case _:
                    if facts.status == "done":
                        board.set(key, when, "status", "in_progress")
    return board


def _points_at(stories: list, board: Board, moment: datetime, done_only: bool = False) -> float:
    """Points in S1 at `moment`, replayed from the generated stories and the events written
    for them (a story's last change of each field at or before `moment` holds)."""
    total = 0.0
    for index, (created, in_sprint, points, _) in enumerate(stories):
        if at(START, 0) + timedelta(hours=created) > moment:
            continue
        state = {"sprint": "S1" if in_sprint else None, "points": points, "status": "todo"}
        for change in board.changes:
            if change.story == f"ML-{index}" and change.at <= moment and change.field in state:
                state[change.field] = change.new
        if state["sprint"] == "S1" and (state["status"] == "done" or not done_only):
            total += float(state["points"] or 0)
    return total


@settings(max_examples=examples(100), deadline=None)
@given(stories=st.lists(STORY, max_size=8), now_day=st.integers(0, 16))
def test_burndown_rows_are_the_points_in_the_sprint_at_each_days_end(
    stories: list, now_day: int
) -> None:
    board = _board(stories, allow_reopen=True)
    now = at(START + timedelta(days=now_day), 13)
    chart = burndown(SPRINT, board.stories(), now=now)
    assert SPRINT.started_at is not None and SPRINT.closed_at is not None
    assert chart.committed == _points_at(stories, board, SPRINT.started_at)
    for row in chart.days:
        if row.day > now.date():
            assert (row.scope, row.completed, row.remaining) == (None, None, None)
            continue
        # the end of the day, but no later than now, and just before the close
        moment = min(at(row.day, 23, 59) + timedelta(seconds=59.999999), now)
        moment = min(moment, SPRINT.closed_at - timedelta(microseconds=1))
        assert row.scope == pytest.approx(_points_at(stories, board, moment))
        assert row.completed == pytest.approx(_points_at(stories, board, moment, done_only=True))
        assert row.remaining == pytest.approx(row.scope - row.completed)
    ideal = [row.ideal for row in chart.days]
    assert ideal == sorted(ideal, reverse=True) and ideal[-1] == 0


@settings(max_examples=examples(100), deadline=None)
@given(stories=st.lists(STORY, max_size=8))
def test_burnup_completed_never_decreases_without_reopening(stories: list) -> None:
    board = _board(stories, allow_reopen=False)
    chart = burndown(SPRINT, board.stories(), now=at(END + timedelta(days=3)))
    completed = [row.completed for row in chart.days]
    assert all(later >= earlier for earlier, later in pairwise(completed))


@settings(max_examples=examples(100), deadline=None)
@given(done=st.lists(st.lists(POINTS, max_size=5), min_size=1, max_size=6), last=st.integers(1, 7))
def test_average_velocity_lies_between_the_sprints(done: list[list], last: int) -> None:
    board, sprints = Board(), []
    for number, points in enumerate(done):
        start = date(2024, 1, 1) + timedelta(days=14 * number)
        span = sprint(f"S{number}", start, start + timedelta(days=11))
        sprints.append(span)
        for index, value in enumerate(points):
            key = f"ML-{number}-{index}"
            board.create(key, at(start, 8), points=value, sprint=span.name)
            board.set(key, at(start + timedelta(days=2)), "status", "done")
    stories = board.stories()
    rows = velocity_chart(sprints, stories, last=last)
    average = average_velocity(sprints, stories, last=last)
    assert average is not None
    completed = [row.completed for row in rows]
    assert min(completed) - 1e-9 <= average <= max(completed) + 1e-9


DAY_OFF = st.dates(min_value=date(2024, 3, 1), max_value=date(2024, 3, 20))
MEMBER = st.tuples(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.floats(0, 8, allow_nan=False),
    st.sets(DAY_OFF, max_size=6),
)


@settings(max_examples=examples(100), deadline=None)
@given(
    members=st.lists(MEMBER, max_size=5),
    team_off=st.sets(DAY_OFF, max_size=5),
    weekdays=st.sets(st.integers(0, 6), min_size=1),
)
def test_capacity_is_additive_over_members(
    members: list, team_off: set[date], weekdays: set[int]
) -> None:
    def total(group: list) -> float:
        return team_capacity(group, START, END, team_days_off=team_off, weekdays=weekdays).total

    assert total(members) == pytest.approx(sum(total([member]) for member in members))
    for member in team_capacity(members, START, END, team_days_off=team_off).members:
        assert 0 <= member.available_days <= 10


HISTORY = st.lists(st.integers(0, 6), min_size=1, max_size=30).filter(any)


@settings(max_examples=examples(100), deadline=None)
@given(history=HISTORY, remaining=st.integers(1, 80), seed=st.integers(0, 2**32 - 1))
def test_when_percentiles_are_ordered(history: list[int], remaining: int, seed: int) -> None:
    forecast = forecast_when(Throughput(tuple(history)), remaining, START, runs=500, seed=seed)
    assert forecast.p50 is not None and forecast.p85 is not None and forecast.p95 is not None
    assert START <= forecast.p50 <= forecast.p85 <= forecast.p95
    share = forecast.p_finish_by(forecast.p85)
    assert share is not None and share >= 0.85  # p85 is a date by which 85% of runs finished
