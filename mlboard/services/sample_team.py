"""Load the sample team (sample_data/) into a workspace, replaying its dated history.

The files hold real calendar dates around `as_of`. Loading shifts every date by whole weeks so
that `as_of` becomes the latest same weekday not after today: weekdays stay weekdays, nothing is
dated in the future, and the active sprint is in progress now. Stories are created as the files
describe them, then every change in history.csv goes through the same code as a user's edit, so
the events that velocity, burndown and standup read are the real thing.
"""

from __future__ import annotations

import csv
import dataclasses
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

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
    def as_of(self) -> date:
        return self.team["as_of"]


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


def week_shift(as_of: date, today: date) -> timedelta:
    """Whole weeks that move `as_of` to the latest same weekday on or before `today`."""
    return timedelta(weeks=(today - as_of).days // 7)


def load_sample_team(ws: Workspace, sample: SampleTeam, today: date) -> None:
    """Write the whole team in one transaction: members, sprints, stories, then history."""
    shift = week_shift(sample.as_of, today)

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

        for change in sorted(sample.history, key=lambda row: moved(row["at"])):
            story = find_story(session, change["key"])
            actor = dataclasses.replace(ws, actor=change["actor"])
            apply_changes(
                session, actor, story, {change["field"]: change["value"]}, at=moved(change["at"])
            )


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
