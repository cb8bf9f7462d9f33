"""The sprint pulse of the standup digest: days left, remaining vs ideal, forecast change.

Remaining is the scope (the points in the sprint now) minus what is done; the ideal line starts
from the commitment (the points it held at its start), as in Jira's burndown.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from mlboard.analytics.burndown import burndown
from mlboard.analytics.forecast import daily_throughput, forecast_when
from mlboard.analytics.workdays import days_left
from mlboard.domain import SprintState, StoryStatus
from mlboard.services import sprint_points
from mlboard.services.planning import FORECAST_RUNS, FORECAST_SEED
from mlboard.services.standup import DigestContext
from mlboard.store.tables import Sprint, Story


def sprint_section(ctx: DigestContext) -> tuple[str, Any]:
    """The active sprint now, and how its chance of finishing moved since the last standup."""
    session, window = ctx.session, ctx.window
    sprint = session.exec(select(Sprint).where(Sprint.state == SprintState.ACTIVE)).first()
    if sprint is None or sprint.end is None:
        return "sprint", None
    span = sprint_points.span(sprint)
    timelines = list(sprint_points.load_timelines(session, [sprint]).values())
    chart = burndown(span, timelines, window.until, tz=window.zone)
    today = next((day for day in chart.days if day.day == window.today), None)
    done_at = session.exec(select(Story.done_at).where(col(Story.done_at).is_not(None))).all()

    def chance(moment) -> float | None:  # type: ignore[no-untyped-def]
        open_then = sum(
            1
            for tl in timelines
            if tl.value_at("sprint", moment) == sprint.name
            and tl.value_at("status", moment) != StoryStatus.DONE
        )
        if open_then == 0:
            return 1.0
        start = max(moment.astimezone(window.zone).date(), span.start)
        forecast = forecast_when(
            daily_throughput([d for d in done_at if d <= moment], moment, tz=window.zone),
            open_then,
            start,
            runs=FORECAST_RUNS,
            seed=FORECAST_SEED,
        )
        return forecast.p_finish_by(span.end)

    return "sprint", {
        "name": sprint.name,
        "end": sprint.end.isoformat(),
        "days_left": days_left(sprint.end, window.today),
        "committed_points": chart.committed,
        "scope_points": today.scope if today else None,
        "remaining_points": today.remaining if today else None,
        "ideal_remaining_points": round(today.ideal, 2) if today else None,
        "p_finish": chance(window.until),
        "p_finish_at_last_standup": chance(window.since),
    }
