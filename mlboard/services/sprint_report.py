"""The sprint review: committed vs completed, scope change, carry-over, cycle and lead times,
targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from mlboard.analytics.burndown import ScopeChange, scope_changes
from mlboard.analytics.flow import JUST_BEFORE, KindFlow, flow_by_kind, sprint_flow
from mlboard.analytics.history import sprint_closed, sprint_members
from mlboard.analytics.stats import Summary
from mlboard.analytics.velocity import sprint_velocity
from mlboard.domain import SprintState, StoryStatus
from mlboard.errors import UserError
from mlboard.services import sprint_points
from mlboard.services.evidence import evidence_for
from mlboard.services.stories import find_sprint
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Story


@dataclass(frozen=True)
class TargetOutcome:
    key: str
    target: str
    best: float | None
    met: bool | None


@dataclass(frozen=True)
class SprintReport:
    sprint: str
    goal: str
    committed: float
    completed: float
    scope_changes: list[ScopeChange]
    carried_over: list[str]
    flow: dict[str, KindFlow]
    targets: list[TargetOutcome]

    @property
    def scope_added(self) -> float:
        return sum(c.delta for c in self.scope_changes if c.delta > 0)

    @property
    def scope_removed(self) -> float:
        return -sum(c.delta for c in self.scope_changes if c.delta < 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "sprint": self.sprint,
            "goal": self.goal,
            "committed": self.committed,
            "completed": self.completed,
            "scope_change": {
                "added": self.scope_added,
                "removed": self.scope_removed,
                "changes": [
                    {
                        "story": c.story,
                        "at": c.at.isoformat(),
                        "delta": c.delta,
                        "reason": c.reason,
                    }
                    for c in self.scope_changes
                ],
            },
            "carried_over": self.carried_over,
            "cycle_time_days": {kind: flow_days(flow.cycle) for kind, flow in self.flow.items()},
            "lead_time_days": {kind: flow_days(flow.lead) for kind, flow in self.flow.items()},
            "targets": [
                {"story": t.key, "target": t.target, "best": t.best, "met": t.met}
                for t in self.targets
            ],
        }


def flow_days(summary: Summary) -> dict[str, Any]:
    """A flow time's JSON: how many stories, and its median and 85th percentile in days."""
    return {"stories": summary.count, "median": summary.median, "p85": summary.p85}


def sprint_report(ws: Workspace, name: str) -> SprintReport:
    """The review of a closed sprint (or, so far, of the active one)."""
    with ws.reading() as session:
        sprint = find_sprint(session, name)
        if sprint.state == SprintState.FUTURE:
            raise UserError(f"sprint {name!r} has not started: nothing to report yet")
        span = sprint_points.span(sprint)
        timelines = list(sprint_points.load_timelines(session, [sprint]).values())
        members = sprint_members(timelines, sprint.name)
        end = min(sprint_closed(span), ws.now())
        before_close = end - JUST_BEFORE
        carried = sorted(
            tl.key
            for tl in members
            if sprint.state == SprintState.CLOSED
            and tl.value_at("sprint", before_close) == sprint.name
            and tl.value_at("status", end) != StoryStatus.DONE
        )
        done_here = [tl for tl in members if tl.value_at("sprint", before_close) == sprint.name]
        flows = flow_by_kind(sprint_flow(span, members, end))
        keys = [tl.key for tl in done_here]
        stories = session.exec(
            select(Story).where(col(Story.key).in_(keys), col(Story.target).is_not(None))
        ).all()
        evidence = evidence_for(session, stories, ws.now())
        velocity = sprint_velocity(span, members)
        return SprintReport(
            sprint=sprint.name,
            goal=sprint.goal,
            committed=velocity.committed,
            completed=velocity.completed,
            scope_changes=scope_changes(span, members, before_close),
            carried_over=carried,
            flow=flows,
            targets=[
                TargetOutcome(
                    s.key, s.target or "", evidence[s.key].best_value, evidence[s.key].target_met
                )
                for s in sorted(stories, key=lambda s: s.number)
            ],
        )
