"""A sprint as the CLI and the TUI show it, free of the database layer (see `story_view`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mlboard.analytics.workdays import days_left
from mlboard.domain import iso


@dataclass(frozen=True, slots=True)
class SprintView:
    name: str
    state: str
    goal: str
    start: date | None
    end: date | None
    started_at: datetime | None
    closed_at: datetime | None
    committed_points: float | None  # at the start (Jira's commitment); None before it
    completed_points: float
    stories: int
    scope_points: float  # in it now

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in the README (`sprint list --format json`)."""
        return {
            "name": self.name,
            "state": self.state,
            "start": iso(self.start),
            "end": iso(self.end),
            "goal": self.goal,
            "committed_points": self.committed_points,
            "scope_points": self.scope_points,
            "completed_points": self.completed_points,
            "stories": self.stories,
        }

    def days_left(self, today: date) -> int | None:
        """Calendar days from today to the end, the end day included; never negative."""
        return None if self.end is None else days_left(self.end, today)
