"""A story as the CLI, the TUI and exports show it, free of the database layer.

The board's first paint and the listing commands build these from a light read of the file
(`sqlite_reads`), before SQLAlchemy is imported, so the view lives apart from the queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlboard.domain import Target, iso


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story as the CLI, the TUI and exports show it: plain values, names instead of ids."""

    key: str
    title: str
    description: str
    kind: str
    status: str
    blocked: bool
    blocked_reason: str
    points: float | None
    estimate_low: float | None
    estimate_high: float | None
    timebox_days: float | None
    gpu_hours: float | None
    target: Target | None
    assignee: str | None
    assignee_name: str | None
    sprint: str | None
    rank: float
    sensitivity: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    done_at: datetime | None
    events: int

    def as_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in the README (`story show --format json`)."""
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "status": self.status,
            "points": self.points,
            "estimate": {"low": self.estimate_low, "high": self.estimate_high},
            "timebox_days": self.timebox_days,
            "gpu_hours": self.gpu_hours,
            "assignee": self.assignee,
            "sprint": self.sprint,
            "blocked": self.blocked,
            "blocked_reason": self.blocked_reason or None,
            "target": self.target.as_json() if self.target else None,
            "sensitivity": self.sensitivity,
            "rank": self.rank,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "started_at": iso(self.started_at),
            "done_at": iso(self.done_at),
            "events": self.events,
        }
