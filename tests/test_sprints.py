"""Sprints: the commitment is taken at start; closing carries unfinished work over."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from mlboard.errors import UserError
from mlboard.services.sprints import add_sprint, close_sprint, list_sprints, start_sprint
from mlboard.services.stories import create_story, edit_story, get_story, move_story

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


def test_committed_is_what_the_sprint_held_when_it_started(workspace, clock):
    add_sprint(workspace, "S1", start="2026-11-16")
    add_sprint(workspace, "S2")
    a = create_story(workspace, "a", {"points": "3", "sprint": "S1", "kind": "data"})
    b = create_story(workspace, "b", {"points": "5", "sprint": "S1"})
    clock.advance(hours=1)
    started = start_sprint(workspace, "S1")
    assert started.committed_points == 8
    clock.advance(days=1)
    create_story(workspace, "added later", {"points": "2", "sprint": "S1"})
    edit_story(workspace, b.key, {"points": "8"})  # re-estimated after the start
    move_story(workspace, a.key, "done")
    clock.advance(days=1)
    closed = close_sprint(workspace, "S1", carry_over_to="S2")
    # committed: 3 + 5 at the start; completed: only a (3) was done at the close.
    assert (closed.committed_points, closed.completed_points) == (8, 3)
    assert get_story(workspace, b.key).sprint == "S2"
    assert get_story(workspace, a.key).sprint == "S1"


def test_closing_without_a_destination_returns_work_to_the_backlog(workspace):
    add_sprint(workspace, "S1")
    story = create_story(workspace, "a", {"sprint": "S1"})
    start_sprint(workspace, "S1")
    close_sprint(workspace, "S1")
    assert get_story(workspace, story.key).sprint is None


def test_one_active_sprint_at_a_time(workspace):
    add_sprint(workspace, "S1")
    add_sprint(workspace, "S2")
    start_sprint(workspace, "S1")
    with pytest.raises(UserError, match="'S1' is still active"):
        start_sprint(workspace, "S2")
    with pytest.raises(UserError, match="only the active sprint can close"):
        close_sprint(workspace, "S2")


def test_sprint_dates_are_checked(workspace):
    with pytest.raises(UserError, match="is before start"):
        add_sprint(workspace, "S1", start="2026-11-16", end="2026-11-01")
    with pytest.raises(UserError, match="not a date"):
        add_sprint(workspace, "S1", start="16/11/2026")
    add_sprint(workspace, "S1", start="2026-11-16")
    with pytest.raises(UserError, match="already exists"):
        add_sprint(workspace, "S1")


def test_sample_team_velocity_is_visible(sample_workspace):
    sprints = list_sprints(sample_workspace)
    # committed at each start, completed at each close, as stories.csv + history.csv give them
    assert [(s.name, s.state, s.committed_points, s.completed_points) for s in sprints[:3]] == [
        ("Sprint 21", "closed", 30, 24),
        ("Sprint 22", "closed", 30, 27),
        ("Sprint 23", "closed", 31, 22),
    ]
    assert (sprints[3].name, sprints[3].state) == ("Sprint 24", "active")


def test_a_sprint_started_without_dates_starts_on_the_teams_today(workspace, clock):
    """20:00 UTC on Wednesday is Thursday morning in Auckland: an Auckland team's sprint starts
    on Thursday, whatever the machine's zone."""
    workspace.settings = replace(workspace.settings, timezone="Pacific/Auckland")
    clock.current = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    add_sprint(workspace, "S1")
    started = start_sprint(workspace, "S1")
    assert (started.start, started.end) == (date(2026, 11, 26), date(2026, 12, 9))
