"""A cheap fingerprint of the board's data, so an open TUI notices other people's changes.

Every write to the board's own data appends an audit entry; the MLflow mirror and pipeline runs
carry their own times. Comparing this fingerprint every couple of seconds costs one tiny query,
and the screens reload only when it moved: others' changes appear within seconds, an idle board
repaints nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from mlboard.services.workspace import Workspace
from mlboard.store.tables import AuditEntry, PipelineRun, Run


def change_marker(ws: Workspace) -> tuple[object, ...]:
    with ws.reading() as session:
        row = session.execute(
            select(
                select(func.max(AuditEntry.id)).scalar_subquery(),
                select(func.max(Run.synced_at)).scalar_subquery(),
                select(func.max(PipelineRun.last_event_at)).scalar_subquery(),
            )
        ).one()
    return tuple(row)
