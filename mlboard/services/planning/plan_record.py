"""A sprint's plan as one record: its figures, how they are said, and what a meeting must not miss.

`plan.make_plan` reads the store and fills a `Plan`; this module holds what is true of any plan
once built: the JSON shape of `mlboard plan --format json`, the flow-time line, each member's
load, and `plan_warnings` (over capacity, above velocity, missing estimates, unbounded spikes,
blocked stories). None of it reads the store, so the CLI, the Planning screen and the tests
can hold a plan without opening one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mlboard.analytics.capacity import TeamCapacity, capacity_summary
from mlboard.analytics.flow import KindFlow
from mlboard.analytics.velocity import SprintVelocity
from mlboard.domain import StoryKind, StoryStatus, iso
from mlboard.services.experiments.story_signals import SprintCompute, StoryWarning
from mlboard.services.planning.report import flow_days
from mlboard.services.stories.records import StoryView
from mlboard.wording import plural


@dataclass(frozen=True, slots=True)
class MemberLoad:
    handle: str
    capacity: float
    assigned: float

    @property
    def over(self) -> bool:
        return self.assigned > self.capacity

    def as_json(self) -> dict[str, Any]:
        return {"member": self.handle, "capacity": self.capacity, "assigned": self.assigned}


@dataclass(frozen=True)
class Plan:
    sprint: str
    state: str
    start: date | None
    end: date | None
    capacity: TeamCapacity
    scope_points: float  # the points in the sprint now
    committed_points: float | None  # the points in it at its start; None before the start
    stories: list[StoryView]
    velocity: list[SprintVelocity]
    average_velocity: float | None
    remaining: int
    p50: date | None
    p85: date | None
    p95: date | None
    p_finish_sprint: float | None
    forecast_note: str | None
    loads: list[MemberLoad]
    flow: KindFlow  # lead and cycle time of the stories done in `flow_sprints`
    flow_sprints: list[str]  # the closed sprints the velocity average is over
    compute: SprintCompute
    warnings: list[str] = field(default_factory=list)
    story_warnings: list[StoryWarning] = field(default_factory=list)

    @property
    def capacity_points(self) -> float:
        return self.capacity.total

    def flow_summary(self) -> str:
        """`Lead time median 6.2 d (85%: 11.0 d) · cycle time … · 24 stories, last 3 sprints`:
        how long work takes here, as `mlboard plan` and the Planning screen say it."""
        lead, cycle = self.flow.lead, self.flow.cycle
        if not lead.count:
            return "Lead and cycle time: no story done in a closed sprint yet"
        sprints = len(self.flow_sprints)
        return (
            f"Lead time median {_days(lead.median)} (85%: {_days(lead.p85)}) · cycle time "
            f"median {_days(cycle.median)} (85%: {_days(cycle.p85)}) · "
            f"{plural(lead.count, 'story')}, last {plural(sprints, 'sprint')}"
        )

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `mlboard plan --format json` (documented in the README)."""
        return {
            "sprint": self.sprint,
            "state": self.state,
            "start": iso(self.start),
            "end": iso(self.end),
            "capacity_points": self.capacity_points,
            "scope_points": self.scope_points,
            "committed_at_start_points": self.committed_points,
            # Kept for scripts written before `scope_points`: the same value, the points now.
            "committed_points": self.scope_points,
            "velocity": {
                "sprints": [
                    {"name": v.sprint, "committed": v.committed, "completed": v.completed}
                    for v in self.velocity
                ],
                "average": self.average_velocity,
            },
            "forecast": {
                "remaining_stories": self.remaining,
                "p_finish_sprint": self.p_finish_sprint,
                "when": {
                    "p50": iso(self.p50),
                    "p85": iso(self.p85),
                    "p95": iso(self.p95),
                },
                "note": self.forecast_note,
            },
            "flow": {
                "sprints": self.flow_sprints,
                "lead_time_days": flow_days(self.flow.lead),
                "cycle_time_days": flow_days(self.flow.cycle),
            },
            "members": [load.as_json() for load in self.loads],
            "compute": self.compute.as_json(),
            "warnings": self.warnings,
            "story_warnings": [
                {"story": w.story, "kind": w.kind, "message": w.message}
                for w in self.story_warnings
            ],
        }


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} d"


def plan_warnings(plan: Plan) -> list[str]:
    """What a planning meeting should not miss, most serious first."""
    warnings = []
    summary = capacity_summary(plan.scope_points, plan.capacity, plan.average_velocity)
    if summary.over_capacity:
        warnings.append(
            f"over capacity: a scope of {plural(plan.scope_points, 'point')} against a capacity of "
            f"{summary.capacity:g}"
        )
    if summary.over_velocity and plan.average_velocity is not None:
        warnings.append(
            f"scope {plan.scope_points:g} is above the average velocity "
            f"{plan.average_velocity:.1f} of the last sprints"
        )
    warnings += [
        f"{load.handle} is over capacity: {load.assigned:g} of "
        f"{plural(load.capacity, 'point')} assigned"
        for load in plan.loads
        if load.over
    ]
    for story in plan.stories:
        if story.status == StoryStatus.DONE:
            continue
        if story.points is None:
            warnings.append(f"{story.key} has no estimate")
        if story.kind == StoryKind.EXPERIMENT and story.target is None and not story.timebox_days:
            warnings.append(
                f"{story.key} is an experiment with neither a target nor a timebox: "
                "nothing says when it is done"
            )
        if story.kind == StoryKind.RESEARCH and not story.timebox_days:
            warnings.append(f"{story.key} is a research spike without a timebox")
        if story.blocked:
            warnings.append(f"{story.key} is blocked: {story.blocked_reason}")
    return warnings
