"""A sprint as the CLI and the TUI show it, free of the database layer (see `story_view`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SprintView:
    name: str
    state: str
    goal: str
    start: date | None
    end: date | None
    started_at: datetime | None
    closed_at: datetime | None
    committed_points: float | None
    completed_points: float
    stories: int

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in the README (`sprint list --format json`)."""
        return {
            "name": self.name,
            "state": self.state,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "goal": self.goal,
            "committed_points": self.committed_points,
            "completed_points": self.completed_points,
            "stories": self.stories,
        }

    def days_left(self, today: date) -> int | None:
        """Calendar days from today to the end, the end day included; never negative."""
        if self.end is None:
            return None
        return max((self.end - today).days + 1, 0)
