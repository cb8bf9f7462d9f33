"""The standup digest on a dated history with a frozen clock and a real MLflow store."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mlboard.config import local_zone
from mlboard.services.standup import default_window, standup_digest
from mlboard.services.standup_text import digest_markdown
from mlboard.services.stories import create_story

from cli_runs import Mlboard
from exact_forecast import daily_counts, finished_within
from standup_week import at, build_week


@pytest.fixture
def week(workspace, clock, tmp_path):
    return build_week(workspace, clock, tmp_path)


def person(digest, handle):
    return next(p for p in digest["people"] if p["member"] == handle)


def test_people_section_reports_only_what_happened_since_the_last_standup(week):
    digest = standup_digest(week).as_json()
    assert digest["since"] == "2026-11-24T09:30:00+00:00"
    assert digest["until"] == "2026-11-25T09:45:00+00:00"
    ana, bob = person(digest, "ana"), person(digest, "bob")
    assert ana["done"] == ["ML-1"]  # ML-4 was Monday's news
    assert ana["note"] == {"yesterday": "finished churn", "today": "fraud eval", "blockers": ""}
    assert bob["moved_back"] == [{"story": "ML-2", "from": "in_progress", "to": "todo"}]
    assert [d["story"] for d in bob["doing"]] == ["ML-3"]
    assert bob["doing"][0]["days_in_status"] == 0.8  # since Tue 15:00
    assert bob["blocked"] == [{"story": "ML-3", "reason": "waiting on legal"}]


def test_ml_section_finds_runs_new_bests_and_targets_met(week):
    ml = standup_digest(week).as_json()["ml"]
    assert [r["run_name"] for r in ml["runs_finished"]] == ["lgbm"]
    assert [(r["run_name"], r["status"]) for r in ml["runs_failed"]] == [("nan-loss", "FAILED")]
    assert ml["runs_finished"][0]["stories"] == ["ML-5"]
    best = ml["new_bests"][0]
    assert (best["story"], best["previous"], best["new"], best["target_met"]) == (
        "ML-5",
        0.80,
        0.87,
        True,
    )
    assert ml["targets_met"] == [{"story": "ML-5", "target": "val_auc >= 0.85", "value": 0.87}]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_sprint_pulse(week, clock, zone):
    week.settings = replace(week.settings, timezone=zone)
    # earlier work outside the sprint, the history the forecast draws from: pairs of stories
    # done at 14:00 and 16:00 UTC, the same day in UTC, 23:00 and 01:00 the next day in Tokyo
    earlier = [at(-day, hour) for day in (3, 5, 8, 10, 12, 15) for hour in (14, 16)]
    for number, moment in enumerate(earlier):
        clock.current = moment
        create_story(week, f"Earlier {number}", {"status": "done", "kind": "data"})
    clock.current = at(2, 9, 45)
    digest = standup_digest(week).as_json()
    sprint = digest["sprint"]
    assert (sprint["name"], sprint["days_left"]) == ("S1", 3)
    # 4 x 3 + 5 = 17 points in the sprint; ML-1 and ML-4 are done: 17 - 6 = 11 remain.
    assert (sprint["committed_points"], sprint["scope_points"]) == (17, 17)
    assert sprint["remaining_points"] == 11
    # the ideal line burns 17 over 10 working days; 8 have ended by Wednesday night: 17 x 2/10
    assert sprint["ideal_remaining_points"] == pytest.approx(3.4)
    # the chance of finishing by Friday, now (3 stories open) and at the last standup (4 open),
    # against the exact one for the stories done before each moment
    team_zone = local_zone(zone)
    done = [*earlier, at(0, 12), at(1, 14)]  # ML-4 on Monday, ML-1 on Tuesday
    for key, moment, still_open in (
        ("p_finish", clock.current, 3),
        ("p_finish_at_last_standup", datetime.fromisoformat(digest["since"]), 4),
    ):
        today = moment.astimezone(team_zone).date()
        history = daily_counts([d for d in done if d <= moment], today, team_zone)
        exact = finished_within(history, still_open, (date(2026, 11, 27) - today).days + 1)[-1]
        assert 0.01 < exact < 0.99
        assert sprint[key] == pytest.approx(exact, abs=0.02), key


def test_the_day_after_repeats_nothing(week, clock):
    clock.current = at(3, 9, 45)  # Thursday: Wednesday had no changes
    digest = standup_digest(week).as_json()
    assert all(not p["done"] and not p["moved_back"] for p in digest["people"])
    assert digest["ml"]["runs_finished"] == [] and digest["ml"]["new_bests"] == []


def test_monday_looks_back_to_friday():
    monday = datetime(2026, 11, 30, 9, 45, tzinfo=UTC)
    window = default_window(monday, UTC, datetime.min.time().replace(hour=9, minute=30))
    assert window.since == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    window = default_window(saturday, UTC, datetime.min.time().replace(hour=9, minute=30))
    assert window.since == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def test_the_window_follows_the_team_time_zone(week):
    week.settings = replace(week.settings, timezone="Asia/Tokyo")
    digest = standup_digest(week).as_json()
    # Wed 09:45 UTC is Wed 18:45 in Tokyo; the previous working day's 09:30 there is Tue 00:30 UTC.
    assert digest["since"] == "2026-11-24T09:30:00+09:00"
    assert digest["until"] == "2026-11-25T18:45:00+09:00"


def test_markdown_is_ready_to_paste(week):
    text = digest_markdown(standup_digest(week))
    assert text.startswith("## Standup since Tue Nov 24 09:30")
    assert "**Ana Souza (@\u2060ana)**\n- done: ML-1" in text  # a name, not a mention
    assert "- ⚠ blocked: ML-3 — waiting on legal" in text
    assert "- new best on ML-5: val_auc 0.8 → 0.87 (val_auc &gt;= 0.85, target met)" in text
    assert "- ⚠ failed: nan-loss (ML-5)" in text
    assert "\x1b" not in text


def test_cli_json_has_the_stable_keys_and_notes_are_written(week, clock, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "bob")
    mlboard = Mlboard(week.settings.database, clock)  # Wednesday 09:45
    mlboard.ok("standup", "note", "--today", "unblock legal", "--blockers", "legal sign-off")
    data = json.loads(mlboard.ok("standup", "--since", "3d", "--format", "json"))
    assert list(data) == ["since", "until", "people", "ml", "sprint", "data"]
    assert datetime.fromisoformat(data["since"]) == clock.current - timedelta(days=3)
    assert datetime.fromisoformat(data["until"]) == clock.current
    bob = person(data, "bob")
    assert bob["note"] == {"yesterday": "", "today": "unblock legal", "blockers": "legal sign-off"}
    assert person(data, "ana")["note"]["today"] == "fraud eval"  # the note of build_week
    assert [p["member"] for p in data["people"]] == ["ana", "bob"]
    assert set(bob) == {"member", "name", "done", "doing", "blocked", "moved_back", "note"}
    assert set(data["ml"]) >= {"runs_finished", "runs_failed", "new_bests", "targets_met", "models"}
    # the three days back reach Sunday: Monday's ML-4 is news again, with Tuesday's ML-1
    assert sorted(person(data, "ana")["done"]) == ["ML-1", "ML-4"]


def test_a_pipeline_is_reported_stale_at_the_standup_after_its_sla_ran_out(week, clock):
    """Once: at the first standup after its freshness SLA ran out, not again the day after."""
    from mlboard.services.pipelines import record_run, set_pipeline

    for name in ("features", "labels", "scores"):
        set_pipeline(week, name, sla_hours=6, create=True)
    clock.current = at(0, 12)  # Monday noon: labels succeeds, due Monday 18:00
    record_run(week, "labels", "success")
    clock.current = at(1, 8)  # Tuesday 08:00: features succeeds, due Tuesday 14:00
    record_run(week, "features", "success")
    clock.current = at(2, 8)  # Wednesday 08:00: scores succeeds, fresh until 14:00
    record_run(week, "scores", "success")
    clock.current = at(2, 9, 45)  # Wednesday's standup: since Tuesday 09:30
    stale = standup_digest(week).as_json()["data"]["pipelines_stale"]
    assert stale == [{"pipeline": "mlboard/features", "last_success_at": at(1, 8).isoformat()}]
    clock.current = at(3, 9, 45)  # Thursday: features was news yesterday; scores is news now
    stale = standup_digest(week).as_json()["data"]["pipelines_stale"]
    assert [item["pipeline"] for item in stale] == ["mlboard/scores"]


def test_the_data_section_reports_failed_pipelines_and_blocked_stories(week, clock):
    from mlboard.services.pipeline_status import depend
    from mlboard.services.pipelines import record_run

    clock.current = at(1, 20)  # Tuesday evening: inside the window
    record_run(week, "features", "failed", error="disk full")
    depend(week, "ML-2", "features")
    clock.current = at(2, 9, 45)
    data = standup_digest(week).as_json()["data"]
    assert data["pipelines_failed"][0]["pipeline"] == "mlboard/features"
    assert data["pipelines_failed"][0]["error"] == "disk full"
    assert data["blocked_by_data"][0]["story"] == "ML-2"
    assert "- ⚠ pipeline mlboard/features failed: disk full" in digest_markdown(
        standup_digest(week)
    )
