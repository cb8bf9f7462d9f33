"""A cheap fingerprint of the board's data, so an open TUI notices other people's changes.

Every write to the board's own data appends an audit entry; the MLflow mirror and pipeline runs
carry their own times. Comparing this fingerprint every couple of seconds costs one tiny query,
and the screens reload only when it moved: others' changes appear within seconds, an idle board
repaints nothing.

The query is plain SQL, so the board's first paint reads the same fingerprint with sqlite3
(`sqlite_reads`) in the snapshot it draws from, and the values compare equal here afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlboard.services.workspace import Workspace

CHANGE_MARKER_SQL = (
    "SELECT (SELECT max(id) FROM auditentry), (SELECT max(synced_at) FROM run),"
    " (SELECT max(last_event_at) FROM pipelinerun)"
)


def change_marker(ws: Workspace) -> tuple[object, ...]:
    from sqlalchemy import text

    with ws.reading() as session:
        return tuple(session.execute(text(CHANGE_MARKER_SQL)).one())
