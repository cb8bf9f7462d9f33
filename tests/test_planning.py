"""Planning numbers recomputed by hand on small dated histories, and on the sample team."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mlboard.config import local_zone
from mlboard.errors import UserError
from mlboard.services.members import add_member, availability, set_days_off
from mlboard.services.planning import make_plan
from mlboard.services.sprint_report import sprint_report
from mlboard.services.sprints import add_sprint, close_sprint, list_sprints, start_sprint
from mlboard.services.stories import create_story, list_stories, move_story

from cli_runs import Mlboard
from exact_forecast import assert_percentile, daily_counts, finished_within

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
    assert warnings[0] == "over capacity: a scope of 34 points against a capacity of 30"
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


def test_the_forecast_agrees_with_the_exact_answer(sample_workspace):
    """The simulated dates and chance against the exact ones on the sample team's history: the
    stories done on each of the 30 days before today, in the team's time zone."""
    plan = make_plan(sample_workspace)
    zone = local_zone(sample_workspace.settings.timezone)
    today = sample_workspace.now().astimezone(zone).date()
    done = [story.done_at for story in list_stories(sample_workspace) if story.done_at]
    history = daily_counts(done, today, zone)
    assert sum(history) > plan.remaining  # enough history for a forecast of interest
    start = max(today, plan.start)
    chances = finished_within(history, plan.remaining, 120)
    for simulated, confidence in ((plan.p50, 50), (plan.p85, 85), (plan.p95, 95)):
        assert_percentile(simulated, chances, start, confidence)
    assert len({plan.p50, plan.p85, plan.p95}) == 3  # a spread, not a constant history
    assert plan.p_finish_sprint == pytest.approx(chances[(plan.end - start).days], abs=0.01)


@pytest.mark.parametrize("team_zone", [None, "Pacific/Auckland"])
def test_the_forecast_counts_the_days_of_the_teams_time_zone(small_team, clock, team_zone):
    """A team finished stories at 10:00 and 12:00 UTC every other day: in Auckland that is 23:00
    and 01:00, one story on each of its days, so ten stories take ten days there for certain;
    in UTC days (two, then none) they may not. Without a `timezone` setting the team's days are
    the machine's (CI runs this module in Auckland too). At 20:00 UTC Wednesday, Auckland's
    today is already Thursday."""
    small_team.settings = replace(small_team.settings, timezone=team_zone)
    done = []
    for day in range(0, 38, 2):
        for hour in (10, 12):
            clock.current = datetime(2026, 10, 20, hour, tzinfo=UTC) + timedelta(days=day)
            create_story(small_team, f"Done {day}-{hour}", {"status": "done"})
            done.append(clock.current)
    for number in range(10):
        create_story(small_team, f"Open {number}", {"sprint": "S1", "points": "1"})
    clock.current = datetime(2026, 11, 25, 20, tzinfo=UTC)
    plan = make_plan(small_team, "S1")
    assert plan.remaining == 10
    zone = local_zone(team_zone)
    today = clock.current.astimezone(zone).date()
    chances = finished_within(daily_counts(done, today, zone), 10, 60)
    for simulated, confidence in ((plan.p50, 50), (plan.p85, 85), (plan.p95, 95)):
        assert_percentile(simulated, chances, today, confidence)
    assert plan.p_finish_sprint == pytest.approx(chances[(plan.end - today).days], abs=0.01)
    if team_zone == "Pacific/Auckland":
        assert plan.p50 == plan.p85 == plan.p95 == date(2026, 12, 5)  # Thursday 26th + 9 days


def test_the_sprint_report_of_a_closed_sprint(sample_workspace):
    report = sprint_report(sample_workspace, "Sprint 23")
    assert (report.committed, report.completed) == (31, 22)
    assert report.carried_over == ["ML-28", "ML-35"]
    assert report.scope_added == 6 and report.scope_removed == 2
    assert [t.key for t in report.targets] == ["ML-24", "ML-28", "ML-33"]
    assert sum(flow.cycle.count for flow in report.flow.values()) >= 1


def test_plan_json_gives_the_plan_on_the_boards_clock(sample_workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    monkeypatch.setenv("MLBOARD_TIMEZONE", "UTC")  # the sample team's, as in its workspace
    mlboard = Mlboard(sample_workspace.settings.database, sample_workspace.clock)
    data = json.loads(mlboard.ok("plan", "--format", "json"))
    plan = make_plan(sample_workspace)
    assert list(data) == ["sprint", "state", "start", "end", "capacity_points", "scope_points",
                          "committed_at_start_points", "committed_points", "velocity", "forecast",
                          "flow", "members", "compute", "warnings", "story_warnings"]  # fmt: skip
    assert (data["sprint"], data["state"]) == ("Sprint 24", "active")
    assert (data["start"], data["end"]) == (plan.start.isoformat(), plan.end.isoformat())
    assert set(data["flow"]) == {"sprints", "lead_time_days", "cycle_time_days"}
    assert set(data["flow"]["lead_time_days"]) == {"stories", "median", "p85"}
    assert (data["capacity_points"], data["committed_points"]) == (
        plan.capacity_points,
        plan.scope_points,
    )
    assert data["velocity"] == {
        "sprints": [
            {"name": "Sprint 21", "committed": 30, "completed": 24},
            {"name": "Sprint 22", "committed": 30, "completed": 27},
            {"name": "Sprint 23", "committed": 31, "completed": 22},
        ],
        "average": pytest.approx((24 + 27 + 22) / 3),
    }
    assert data["forecast"]["remaining_stories"] == 8
    assert data["forecast"]["when"] == {
        "p50": plan.p50.isoformat(),
        "p85": plan.p85.isoformat(),
        "p95": plan.p95.isoformat(),
    }
    assert data["forecast"]["p_finish_sprint"] == pytest.approx(plan.p_finish_sprint)
    assert data["warnings"] == plan.warnings
    md = mlboard.ok("plan", "--format", "md")
    assert md.startswith("## Plan: Sprint 24") and "\x1b" not in md


def test_scope_and_committed_mean_the_same_in_plan_sprint_list_and_report(
    sample_workspace, monkeypatch
):
    """Sprint 24 holds 36 points now (scope) and held 33 when it started (committed): the plan,
    `sprint list` (which the board's header shows) and the review say so with the same words."""
    monkeypatch.setenv("MLBOARD_USER", "tester")
    plan = make_plan(sample_workspace, "Sprint 24")
    assert (plan.scope_points, plan.committed_points) == (36, 33)
    listed = {s.name: s for s in list_sprints(sample_workspace)}["Sprint 24"]
    assert (listed.scope_points, listed.committed_points) == (36, 33)
    mlboard = Mlboard(sample_workspace.settings.database, sample_workspace.clock)
    data = json.loads(mlboard.ok("plan", "--format", "json"))
    assert (data["scope_points"], data["committed_at_start_points"]) == (36, 33)
    assert data["committed_points"] == 36  # kept for scripts: the scope, as it always was
    text = mlboard.ok("plan")
    assert "Scope 36 points (committed 33 at the start)" in text
    rows = json.loads(mlboard.ok("sprint", "list", "--format", "json"))
    row = next(r for r in rows if r["name"] == "Sprint 24")
    assert (row["scope_points"], row["committed_points"]) == (36, 33)
    assert sprint_report(sample_workspace, "Sprint 24").committed == 33


def moment(day: int, hour: int = 9) -> datetime:
    return datetime(2020, 3, day, hour, tzinfo=UTC)


def test_sprint_report_lead_and_cycle_time_on_a_hand_worked_history(workspace, clock):
    """Lead time runs from creation to done, cycle time from the start of work to done; only
    stories done in the sprint count."""
    clock.current = datetime(2020, 2, 24, 9, tzinfo=UTC)
    add_sprint(workspace, "S1", start="2020-03-02", end="2020-03-13")
    a = create_story(workspace, "a", {"kind": "model", "points": "3", "sprint": "S1"})
    b = create_story(workspace, "b", {"kind": "data", "points": "2", "sprint": "S1"})
    backlog = create_story(workspace, "done, but never in the sprint", {"kind": "model"})
    clock.current = moment(2)
    start_sprint(workspace, "S1")
    clock.current = moment(3)
    move_story(workspace, a.key, "in_progress")
    clock.current = moment(4)
    move_story(workspace, b.key, "in_progress")
    move_story(workspace, backlog.key, "done")
    clock.current = moment(5, 21)
    move_story(workspace, a.key, "done")  # lead 10.5 days, cycle 2.5
    clock.current = moment(6)
    c = create_story(workspace, "added", {"kind": "model", "points": "1", "sprint": "S1"})
    clock.current = moment(9)
    move_story(workspace, c.key, "done")  # lead 3 days, never in progress: no cycle time
    clock.current = moment(10)
    move_story(workspace, b.key, "done")  # lead 15 days, cycle 6
    clock.current = moment(13, 18)
    close_sprint(workspace, "S1")

    data = sprint_report(workspace, "S1").as_json()
    # model: leads 3 and 10.5 -> median 6.75, 85th percentile 3 + 0.85 x 7.5 = 9.375
    assert data["lead_time_days"] == {
        "data": {"stories": 1, "median": 15.0, "p85": 15.0},
        "model": {"stories": 2, "median": 6.75, "p85": 9.375},
    }
    assert data["cycle_time_days"] == {
        "data": {"stories": 1, "median": 6.0, "p85": 6.0},
        "model": {"stories": 1, "median": 2.5, "p85": 2.5},
    }
    text = Mlboard(workspace.settings.database, workspace.clock).ok("sprint", "report", "S1")
    lead = text[text.index("Lead time") : text.index("Targets")]
    rows = [line.replace("│", " ").split() for line in lead.splitlines()]  # whatever the borders
    assert [cells for cells in rows if cells[:1] in (["data"], ["model"])] == [
        ["data", "1", "15.0", "15.0"],
        ["model", "2", "6.8", "9.4"],
    ]

    add_sprint(workspace, "S2", start="2020-03-16")
    flow = make_plan(workspace, "S2").flow  # what planning S2 sees: the flow of S1
    # leads 3, 10.5, 15: median 10.5, 85th 10.5 + 0.7 x 4.5; cycles 2.5, 6
    assert (flow.lead.count, flow.lead.median, flow.lead.p85) == (3, 10.5, pytest.approx(13.65))
    assert (flow.cycle.count, flow.cycle.median) == (2, 4.25)


def test_stories_blocked_by_data_are_planning_warnings(small_team):
    from mlboard.services.pipeline_status import depend
    from mlboard.services.pipelines import record_run

    create_story(small_team, "Features", {"sprint": "S1", "points": "2", "kind": "data"})
    record_run(small_team, "features", "failed", error="disk full")
    depend(small_team, "ML-1", "features")
    warnings = make_plan(small_team, "S1").warnings
    assert "ML-1 is blocked by data: pipeline mlboard/features failed: disk full" in warnings


@pytest.fixture
def review(sample_workspace, monkeypatch):
    """`mlboard sprint report "Sprint 23" --format FORMAT` on the sample team, on its clock."""
    monkeypatch.setenv("MLBOARD_USER", "tester")
    mlboard = Mlboard(sample_workspace.settings.database, sample_workspace.clock)
    return lambda fmt: mlboard.ok("sprint", "report", "Sprint 23", "--format", fmt)


def test_sprint_report_json_is_the_review_of_the_sprint(sample_workspace, review):
    data = json.loads(review("json"))
    assert list(data) == ["sprint", "goal", "committed", "completed", "scope_change",
                          "carried_over", "cycle_time_days", "lead_time_days",
                          "targets"]  # fmt: skip
    assert (data["sprint"], data["committed"], data["completed"]) == ("Sprint 23", 31, 22)
    assert data["goal"] == sprint_report(sample_workspace, "Sprint 23").goal != ""
    scope = data["scope_change"]
    assert (scope["added"], scope["removed"]) == (6, 2)
    assert sum(c["delta"] for c in scope["changes"]) == 6 - 2
    assert all(set(c) == {"story", "at", "delta", "reason"} for c in scope["changes"])
    assert data["carried_over"] == ["ML-28", "ML-35"]
    assert [t["story"] for t in data["targets"]] == ["ML-24", "ML-28", "ML-33"]
    assert all(set(t) == {"story", "target", "best", "met"} for t in data["targets"])
    cycle = data["cycle_time_days"]
    assert cycle and all(set(row) == {"stories", "median", "p85"} for row in cycle.values())
    assert all(row["median"] <= row["p85"] for row in cycle.values() if row["median"] is not None)


def test_sprint_report_text_and_markdown_say_the_same(review):
    text, md = review("text"), review("md")
    assert "Committed 31 points, completed 22" in text
    assert "Scope: +6 added, -2 removed" in text
    assert "Carried over: ML-28, ML-35" in text
    assert md.startswith("## Review: Sprint 23\n")
    assert "- Committed 31 points, completed 22" in md
    assert "- Carried over: ML-28, ML-35" in md
    assert "\x1b" not in text + md
    for key in ("ML-24", "ML-28", "ML-33"):  # the targets table, in both
        assert key in text and key in md


def test_sprint_report_of_an_unknown_sprint_is_refused(sample_workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    result = Mlboard(sample_workspace.settings.database)("sprint", "report", "Sprint 99")
    assert isinstance(result.exception, UserError) and result.exception.exit_code == 2
    assert "Sprint 99" in result.exception.message
