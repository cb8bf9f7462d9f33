"""An in-memory story that records its history the way the store does.

`StoryDraft.change` mirrors `mlboard.services.stories.records.apply_changes`: one event per field
whose event text changes (sprint by name, assignee by handle, numbers through `as_event_text`),
`updated_at` moved, and `started_at`/`done_at` kept the way `_set_status` keeps them. The generator
simulates thousands of stories with it and then writes their rows in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlboard.domain import StoryStatus
from mlboard.services.stories.fields import FIELDS, as_event_text


@dataclass(frozen=True, slots=True)
class EventDraft:
    at: datetime
    actor: str
    field: str
    old: str | None
    new: str | None


_NULLABLE_COLUMNS = (
    "points",
    "estimate_low",
    "estimate_high",
    "timebox_days",
    "gpu_hours",
    "target",
    "assignee_id",
    "sprint_id",
    "started_at",
    "done_at",
)


@dataclass
class StoryDraft:
    """One story being simulated: its current column values and the events that led to them.

    `change` mirrors `mlboard.services.stories.records.apply_changes`: one event per field whose
    event text changes, `updated_at` moved, and the status dates kept the way `_set_status` keeps
    them.
    """

    values: dict[str, Any]
    sprint_ids: dict[str, int]
    member_ids: dict[str, int]
    sprint: str | None = None
    assignee: str | None = None
    events: list[EventDraft] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        at: datetime,
        actor: str,
        title: str,
        kind: str,
        sprint_ids: dict[str, int],
        member_ids: dict[str, int],
        **initial: Any,
    ) -> StoryDraft:
        """A new story (in the backlog unless `sprint` is given) with its `created` event."""
        values: dict[str, Any] = {column: None for column in _NULLABLE_COLUMNS}
        values |= {
            "title": title,
            "kind": kind,
            "description": "",
            "status": StoryStatus.BACKLOG.value,
            "blocked": False,
            "blocked_reason": "",
            "sensitivity": "none",
            "created_at": at,
            "updated_at": at,
        }
        draft = cls(values, sprint_ids, member_ids)
        if initial.get("sprint") and "status" not in initial:
            initial["status"] = StoryStatus.TODO.value  # as add_story does
        for name, value in initial.items():
            draft._assign(name, value, at)
        draft.events.append(EventDraft(at, actor, "created", None, None))
        return draft

    @property
    def last_at(self) -> datetime:
        return self.events[-1].at

    def text(self, name: str) -> str | None:
        """The field's value as history writes it (names, not ids)."""
        if name == "sprint":
            return self.sprint
        if name == "assignee":
            return self.assignee
        return as_event_text(self.values[FIELDS[name].column])

    def change(self, at: datetime, actor: str, **changes: Any) -> int:
        """Apply changes at `at` (never before the last event); return how many fields changed."""
        if at < self.last_at:
            raise ValueError(f"event at {at} is before the story's last event at {self.last_at}")
        written = 0
        for name, value in changes.items():
            before = self.text(name)
            self._assign(name, value, at)
            after = self.text(name)
            if before != after:
                self.events.append(EventDraft(at, actor, name, before, after))
                written += 1
        if written:
            self.values["updated_at"] = at
        return written

    def _assign(self, name: str, value: Any, at: datetime) -> None:
        match name:
            case "sprint":
                self.sprint = value
                self.values["sprint_id"] = self.sprint_ids[value] if value else None
            case "assignee":
                self.assignee = value
                self.values["assignee_id"] = self.member_ids[value] if value else None
            case "blocked":
                self.values["blocked"] = value is not None
                self.values["blocked_reason"] = value or ""
            case "status":
                self._set_status(value, at)
            case _:
                self.values[FIELDS[name].column] = value

    def _set_status(self, status: str, at: datetime) -> None:
        if status == self.values["status"]:
            return
        self.values["status"] = status
        if status == StoryStatus.IN_PROGRESS and self.values["started_at"] is None:
            self.values["started_at"] = at
        self.values["done_at"] = at if status == StoryStatus.DONE else None
