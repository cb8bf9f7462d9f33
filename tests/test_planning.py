"""Planning numbers recomputed by hand on small dated histories, and on the sample team."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.errors import UserError
from mlboard.services.members import add_member, availability, set_days_off
from mlboard.services.planning import make_plan
from mlboard.services.sprint_report import sprint_report
from mlboard.services.sprints import add_sprint
from mlboard.services.stories import create_story

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


@pytest.fixture
def small_team(workspace):
    add_member(workspace, "ana", points_per_day="1")
    add_member(workspace, "bob", points_per_day="2")
    add_sprint(workspace, "S1", start="2026-11-16", end="2026-11-27")
    return workspace


def test_capacity_counts_working_days_minus_days_off(small_team):
    set_days_off(small_team, "ana", date(2026, 11, 18))
    set_days_off(small_team, "ana", date(2026, 11, 20))  # also a team day off: counts once
    set_days_off(small_team, None, date(2026, 11, 20), reason="offsite")
    set_days_off(small_team, "bob", date(2026, 11, 21))  # a Saturday: changes nothing
    plan = make_plan(small_team, "S1")
    # 10 working days; team day off -> 9. ana: 9 - 1 (18th) = 8 x 1 = 8; bob: 9 x 2 = 18.
    assert {load.handle: load.capacity for load in plan.loads} == {"ana": 8.0, "bob": 18.0}
    assert plan.capacity_points == 26.0


def test_days_off_can_be_taken_back(small_team):
    assert set_days_off(small_team, "ana", date(2026, 12, 1), date(2026, 12, 3)) == 3
    assert set_days_off(small_team, "ana", date(2026, 12, 1), date(2026, 12, 3)) == 0
    assert set_days_off(small_team, "ana", date(2026, 12, 2), remove=True) == 1
    assert availability(small_team).members["ana"] == {date(2026, 12, 1), date(2026, 12, 3)}
    with pytest.raises(UserError, match="before"):
        set_days_off(small_team, "ana", date(2026, 12, 3), date(2026, 12, 1))


def test_warnings_name_what_the_meeting_should_fix(small_team):
    create_story(
        small_team, "Big", {"sprint": "S1", "points": "30", "assignee": "ana", "kind": "model"}
    )
    create_story(small_team, "Unestimated", {"sprint": "S1", "kind": "infra"})
    create_story(small_team, "Open-ended", {"sprint": "S1", "points": "2", "kind": "experiment"})
    create_story(small_team, "Spike", {"sprint": "S1", "points": "1", "kind": "research"})
    create_story(
        small_team,
        "Bounded",
        {"sprint": "S1", "points": "1", "kind": "experiment", "target": "val_f1 >= 0.8"},
    )
    warnings = make_plan(small_team, "S1").warnings
    # 10 working days x (1 + 2) points a day = 30
    assert warnings[0] == "over-committed: 34 points against a capacity of 30"
    assert "ana is over capacity: 30 of 10 points assigned" in warnings
    assert "ML-2 has no estimate" in warnings
    assert any(
        w.startswith("ML-3 is an experiment with neither a target nor a timebox") for w in warnings
    )
    assert "ML-4 is a research spike without a timebox" in warnings
    assert not any(w.startswith("ML-5") for w in warnings)


def test_the_sample_team_plan_matches_its_history(sample_workspace):
    plan = make_plan(sample_workspace)
    assert plan.sprint == "Sprint 24"
    # committed/completed per closed sprint, as stories.csv + history.csv give them
    assert [(v.sprint, v.committed, v.completed) for v in plan.velocity] == [
        ("Sprint 21", 30, 24),
        ("Sprint 22", 30, 27),
        ("Sprint 23", 31, 22),
    ]
    assert plan.average_velocity == pytest.approx((24 + 27 + 22) / 3)
    assert plan.remaining == 8
    assert plan.p50 is not None and plan.p50 <= plan.p85 <= plan.p95
    again = make_plan(sample_workspace)
    assert (again.p50, again.p85, again.p95, again.p_finish_sprint) == (
        plan.p50,
        plan.p85,
        plan.p95,
        plan.p_finish_sprint,
    )


def test_the_sprint_report_of_a_closed_sprint(sample_workspace):
    report = sprint_report(sample_workspace, "Sprint 23")
    assert (report.committed, report.completed) == (31, 22)
    assert report.carried_over == ["ML-28", "ML-35"]
    assert report.scope_added == 6 and report.scope_removed == 2
    assert [t.key for t in report.targets] == ["ML-24", "ML-28", "ML-33"]
    assert sum(flow.cycle.count for flow in report.flow.values()) >= 1


def test_plan_json_has_the_documented_keys(sample_workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    result = CliRunner().invoke(
        app, ["--db", sample_workspace.settings.database, "plan", "--format", "json"]
    )
    data = json.loads(result.output)
    assert {
        "sprint",
        "capacity_points",
        "committed_points",
        "velocity",
        "forecast",
        "warnings",
    } <= data.keys()
    assert set(data["velocity"]) == {"sprints", "average"}
    assert set(data["velocity"]["sprints"][0]) == {"name", "committed", "completed"}
    assert {"p_finish_sprint", "when"} <= data["forecast"].keys()
    assert set(data["forecast"]["when"]) == {"p50", "p85", "p95"}
    md = (
        CliRunner()
        .invoke(app, ["--db", sample_workspace.settings.database, "plan", "--format", "md"])
        .output
    )
    assert md.startswith("## Plan: Sprint 24") and "\x1b" not in md


def test_stories_blocked_by_data_are_planning_warnings(small_team):
    from mlboard.services.pipeline_status import depend
    from mlboard.services.pipelines import record_run

    create_story(small_team, "Features", {"sprint": "S1", "points": "2", "kind": "data"})
    record_run(small_team, "features", "failed", error="disk full")
    depend(small_team, "ML-1", "features")
    warnings = make_plan(small_team, "S1").warnings
    assert "ML-1 is blocked by data: pipeline mlboard/features failed: disk full" in warnings
