"""Load the sample team (sample_data/) into a workspace, replaying its dated history.

The files hold real calendar dates. Loading shifts every date by the same whole number of weeks
(`sample_shift`) so that today falls in the active sprint with working days still ahead, whatever
the weekday: weekdays stay weekdays. The history is then replayed up to now and no further, so
nothing is dated in the future: a story created, or a change made, later in the sample's
calendar than now has not happened yet. Stories are created as the files describe them, then
every change in history.csv goes through the same code as a user's edit, so the events that
velocity, burndown and standup read are the real thing.
"""

from __future__ import annotations

import csv
import dataclasses
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from mlboard.config import local_zone
from mlboard.domain import SprintState
from mlboard.errors import UserError
from mlboard.services.stories import add_story, apply_changes, find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import DayOff, Member, Sprint

STORY_FIELDS = (
    "kind",
    "status",
    "points",
    "estimate_low",
    "estimate_high",
    "timebox_days",
    "gpu_hours",
    "target",
    "assignee",
    "sprint",
    "sensitivity",
    "description",
)
SPRINT_STARTS_AT = time(10, 0)  # planning is done in the morning of the first day
SPRINT_CLOSES_AT = time(17, 0)


@dataclass(frozen=True)
class SampleTeam:
    folder: Path
    team: dict[str, Any]
    members: list[dict[str, Any]]
    sprints: list[dict[str, Any]]
    stories: list[dict[str, str]]
    history: list[dict[str, str]]

    @property
    def active_sprint(self) -> dict[str, Any]:
        for spec in self.sprints:
            if spec.get("state") == SprintState.ACTIVE.value:
                return spec
        raise UserError(f"sample data in {self.folder}: team.toml has no active sprint")


def read_sample_team(folder: Path) -> SampleTeam:
    """Read the files; a missing or malformed file is a UserError naming it."""
    try:
        with (folder / "team.toml").open("rb") as handle:
            config = tomllib.load(handle)
        stories = _read_csv(folder / "stories.csv")
        history = _read_csv(folder / "history.csv")
        return SampleTeam(
            folder, config["team"], config["members"], config["sprints"], stories, history
        )
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"sample data in {folder} is unreadable: {error}") from None


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sample_shift(sample: SampleTeam, today: date) -> timedelta:
    """Whole weeks that move the sample's calendar so that `today` lands in the seven days that
    end two days before the active sprint's last day.

    For a two-week sprint ending on a Friday these run from the first week's Thursday to the
    second week's Wednesday: a weekday lands on the same weekday with at least two working days
    after it, and a Saturday or Sunday on the weekend between the two weeks, with the second
    week ahead. The sprint's last two days are left out on purpose: the sample's sprint is
    over-committed, and on those days its forecast is a flat 0%, which tells a newcomer nothing.
    The history runs into the second week; the part of it after now is not replayed.
    """
    first = sample.active_sprint["end"] - timedelta(days=8)
    return timedelta(weeks=(today - first).days // 7)


def team_today(ws: Workspace, now: datetime) -> date:
    """`now`'s date in the team's time zone (the `timezone` setting, else this machine's)."""
    return now.astimezone(local_zone(ws.settings.timezone)).date()


def load_sample_team(ws: Workspace, sample: SampleTeam, now: datetime) -> timedelta:
    """Write the whole team in one transaction: members, sprints, stories, then the history up
    to `now`. Returns the shift applied to the sample's dates (`sample_shift`)."""
    shift = sample_shift(sample, team_today(ws, now))

    def moved(value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC) + shift

    first_story = min(moved(row["created"]) for row in sample.stories)
    lead = next(
        (m["handle"] for m in sample.members if "lead" in m.get("role", "").lower()),
        sample.members[0]["handle"],
    )
    with ws.writing() as session:
        for member in sample.members:
            row = Member(
                handle=member["handle"],
                name=member["name"],
                role=member.get("role", ""),
                email=member.get("email", ""),
                points_per_day=float(member.get("points_per_day", 1.0)),
                created_at=first_story - timedelta(days=1),
            )
            session.add(row)
            session.flush()
            for day in member.get("days_off", []):
                session.add(DayOff(member_id=row.id, day=day + shift, reason="day off"))
        sprints = [_sprint(spec, shift) for spec in sample.sprints]
        session.add_all(sprints)
        session.flush()

        for row in sample.stories:
            if moved(row["created"]) > now:
                continue
            fields = {name: row[name] for name in STORY_FIELDS if row.get(name)}
            if row.get("blocked_reason"):
                fields["blocked"] = row["blocked_reason"]
            author = dataclasses.replace(ws, actor=row.get("assignee") or lead)
            add_story(
                session,
                author,
                row["title"],
                fields,
                key=row["key"],
                created_at=moved(row["created"]),
            )
        session.flush()

        happened = (row for row in sample.history if moved(row["at"]) <= now)
        for change in sorted(happened, key=lambda row: moved(row["at"])):
            story = find_story(session, change["key"])
            actor = dataclasses.replace(ws, actor=change["actor"])
            apply_changes(
                session, actor, story, {change["field"]: change["value"]}, at=moved(change["at"])
            )
    return shift


def _sprint(spec: dict[str, Any], shift: timedelta) -> Sprint:
    start: date = spec["start"] + shift
    end: date = spec["end"] + shift
    state = SprintState(spec["state"])
    return Sprint(
        name=spec["name"],
        goal=spec.get("goal", ""),
        start=start,
        end=end,
        state=state.value,
        started_at=(
            datetime.combine(start, SPRINT_STARTS_AT, UTC)
            if state is not SprintState.FUTURE
            else None
        ),
        closed_at=(
            datetime.combine(end, SPRINT_CLOSES_AT, UTC) if state is SprintState.CLOSED else None
        ),
        created_at=datetime.combine(start - timedelta(days=3), time(9), UTC),
    )
