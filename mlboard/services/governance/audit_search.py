"""The audit trail as the TUI pages it: the latest entries, narrowed to a story or an actor.

Read-only, next to `audit.py` (which lists oldest first for the CLI and verifies the
chain). A screen shows the newest entries first and never loads the whole trail: `limit`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from mlboard.services.governance.audit import AuditView
from mlboard.services.workspace import Workspace
from mlboard.store.tables import AuditEntry


def latest_audit(ws: Workspace, text: str = "", *, limit: int = 500) -> list[AuditView]:
    """The `limit` newest entries, newest first.

    `text` narrows them to one story key (`ML-4`, any case) or one actor (`ana` or `@ana`);
    plain text matches either, and also a row's own key (a member's handle, a pipeline name).
    """
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(max(limit, 1))
    wanted = text.strip()
    if wanted:
        actor = wanted.lstrip("@").casefold()
        matches = [func.lower(col(AuditEntry.actor)) == actor]
        if not wanted.startswith("@"):
            matches += [col(AuditEntry.key) == wanted.upper(), col(AuditEntry.key) == wanted]
        query = query.where(or_(*matches))
    with ws.reading() as session:
        rows = list(session.exec(query))
    return [
        AuditView(r.id or 0, r.at, r.actor, r.action, r.entity, r.key, r.before, r.after)
        for r in rows
    ]


_SHOWN_ELSEWHERE = {"actor", "at", "story_id"}  # the table has columns for these


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def change_summary(entity: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """One line: `status: todo → review` for a story's change, what an insert wrote, `field:
    old → new` for an update, what a delete removed."""
    if entity == "storyevent" and before is None and after and "field" in after:
        if after["field"] == "created":
            return "created the story"
        old, new = after.get("old"), after.get("new")
        return f"{after['field']}: {_plain(old or '—')} → {_plain(new or '—')}"
    if before is None:
        shown = {k: v for k, v in (after or {}).items() if k not in _SHOWN_ELSEWHERE}
        return ", ".join(f"{k}: {_plain(v)}" for k, v in shown.items() if v not in ("", None))
    if after is None:
        return "deleted " + ", ".join(
            f"{k}: {_plain(v)}" for k, v in before.items() if k not in _SHOWN_ELSEWHERE
        )
    return ", ".join(f"{k}: {_plain(before.get(k))} → {_plain(after.get(k))}" for k in after)
