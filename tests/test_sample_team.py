"""The sample team on any day of the week: today falls in its active sprint with working days
ahead, and its history is replayed up to now, never further."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from mlboard.analytics.workdays import date_range
from mlboard.config import Settings
from mlboard.services.demo import sample_data_folder
from mlboard.services.planning import make_plan
from mlboard.services.sample_team import (
    SampleTeam,
    load_sample_team,
    read_sample_team,
    sample_shift,
)
from mlboard.services.standup import standup_digest
from mlboard.services.stories import get_story
from mlboard.store.tables import Story, StoryEvent

ZONE = "Pacific/Auckland"  # 08:00 there is still the day before in UTC: today is the team's
SATURDAY = datetime(2027, 3, 6, 8, 0, tzinfo=ZoneInfo(ZONE))
WEEK = [SATURDAY + timedelta(days=offset) for offset in range(7)]


def weekday(moment: datetime) -> str:
    return moment.strftime("%a")


@pytest.fixture(scope="module")
def sample() -> SampleTeam:
    return read_sample_team(sample_data_folder())


@pytest.fixture
def settings(database: str) -> Settings:
    return Settings(database=database, database_origin="test", actor="tester", timezone=ZONE)


def working_days_after(today: date, end: date) -> int:
    return sum(day.weekday() < 5 for day in date_range(today + timedelta(days=1), end))


@pytest.mark.parametrize("today", [now.date() for now in WEEK], ids=lambda d: d.strftime("%a"))
def test_today_lands_in_the_active_sprint_with_working_days_after_it(sample, today):
    shift = sample_shift(sample, today)
    sprint = sample.active_sprint
    start, end = sprint["start"] + shift, sprint["end"] + shift
    assert shift.days % 7 == 0
    assert start <= today < end
    assert working_days_after(today, end) >= 2


@pytest.mark.parametrize("now", WEEK, ids=weekday)
def test_the_board_on_every_day_of_the_week(sample, workspace, clock, now):
    """Built on any weekday, the board shows a sprint in progress with a forecast, and the
    first standup reports what the history says happened since the last one."""
    clock.current = now
    shift = load_sample_team(workspace, sample, now)
    plan = make_plan(workspace).as_json()
    digest = standup_digest(workspace).as_json()

    today = now.date()
    start, end = date.fromisoformat(plan["start"]), date.fromisoformat(plan["end"])
    assert plan["state"] == "active" and start <= today < end
    assert working_days_after(today, end) >= 2
    assert digest["sprint"]["days_left"] == (end - today).days + 1
    # The sample sprint is over-committed: in its second week the chance may be a true 0%, but
    # there is always a forecast to show, the same in the plan and the standup.
    assert 0 <= plan["forecast"]["p_finish_sprint"] == digest["sprint"]["p_finish"] < 1
    assert plan["forecast"]["when"]["p85"] is not None
    assert isinstance(digest["sprint"]["remaining_points"], float)

    with workspace.reading() as session:
        latest_event = session.exec(select(func.max(StoryEvent.at))).one()
        latest_story = session.exec(select(func.max(Story.created_at))).one()
    assert latest_event <= now and latest_story <= now

    since, until = (datetime.fromisoformat(digest[key]) for key in ("since", "until"))
    done_in_window = {
        row["key"]
        for row in _history()
        if row["field"] == "status"
        and row["value"] == "done"
        and since < datetime.fromisoformat(row["at"]) + shift <= until
    }
    reported = {key for person in digest["people"] for key in person["done"]}
    assert reported == done_in_window


def test_what_happens_after_now_in_the_sample_has_not_happened_yet(sample, workspace, clock):
    """Saturday lands between the sprint's two weeks: Monday's change freeze is still ahead."""
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # the sample's own calendar
    clock.current = saturday
    assert load_sample_team(workspace, sample, saturday) == timedelta(0)
    assert not get_story(workspace, "ML-44").blocked
    assert get_story(workspace, "ML-47").blocked  # blocked on Thursday, unblocked on Monday
    assert get_story(workspace, "ML-54").status == "in_progress"  # done on Tuesday


def _history() -> list[dict[str, str]]:
    with (sample_data_folder() / "history.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
