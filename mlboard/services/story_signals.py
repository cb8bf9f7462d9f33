"""What a story's runs cost, and whether more of them still pay: GPU-hours against the story's
budget, and the plateau of its best value (see `analytics.compute` and `analytics.plateau`).

Both are judged as of a moment: now for `story show` and the plan, the last standup and now
for the standup (which reports only what became true in between).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mlboard.analytics.compute import ComputeRun, compute_used, gpu_count, over_budget
from mlboard.analytics.plateau import Plateau, plateau
from mlboard.analytics.training_signals import trend
from mlboard.config import PlateauRules
from mlboard.domain import parse_target
from mlboard.services.experiments import ms_of, story_runs, summary
from mlboard.store.tables import Run, Story

OVER_BUDGET, PLATEAU = "over_budget", "plateau"


@dataclass(frozen=True, slots=True)
class StoryWarning:
    """A warning about a story as a whole (not one of its runs): `over_budget` or `plateau`."""

    story: str
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class StoryCompute:
    """GPU-hours a story's runs spent, against its budget (`--gpu-hours`)."""

    gpu_hours_used: float
    gpu_hours_budget: float | None
    runs_counted: int

    @property
    def over_budget(self) -> bool:
        return over_budget(self.gpu_hours_used, self.gpu_hours_budget)

    def as_json(self) -> dict[str, Any]:
        """`compute` in `story show --format json`."""
        return {
            "gpu_hours_used": round(self.gpu_hours_used, 3),
            "gpu_hours_budget": self.gpu_hours_budget,
            "runs_counted": self.runs_counted,
            "over_budget": self.over_budget,
        }


@dataclass(frozen=True)
class StorySignals:
    compute: StoryCompute
    plateau: Plateau | None
    warnings: tuple[StoryWarning, ...] = ()


def compute_run(run: Run) -> ComputeRun:
    return ComputeRun(
        run.run_id,
        run.parent_run_id,
        run.status,
        ms_of(run.start_time),
        ms_of(run.end_time),
        gpu_count(run.tags, run.metrics),
    )


def gpu_hours_of(runs: Iterable[Run], as_of: datetime) -> tuple[float, int]:
    """GPU-hours of `runs` as of a moment (each run once; sweep parents through their
    children), and how many runs spent them."""
    use = compute_used([compute_run(run) for run in runs], int(as_of.timestamp() * 1000))
    return use.gpu_hours, use.runs_counted


def story_plateau(
    runs: Sequence[Run], target_text: str | None, as_of: datetime, rules: PlateauRules
) -> Plateau | None:
    """The plateau of a story's target metric over its runs finished by `as_of`, or None."""
    if not target_text:
        return None
    target = parse_target(target_text)
    finished = [summary(run) for run in runs if run.end_time is not None and run.end_time <= as_of]
    values = [point.value for point in trend(finished, target)]
    return plateau(
        values,
        target,
        patience=rules.patience,
        min_delta=rules.min_delta,
        min_delta_fraction=rules.min_delta_fraction,
    )


def story_signals(
    story: Story, runs: Sequence[Run], as_of: datetime, rules: PlateauRules
) -> StorySignals:
    """Compute and plateau of one story from its runs (`experiments.story_runs`)."""
    used, counted = gpu_hours_of(runs, as_of)
    compute = StoryCompute(used, story.gpu_hours, counted)
    stalled = story_plateau(runs, story.target, as_of, rules)
    warnings = []
    if compute.over_budget:
        warnings.append(
            StoryWarning(
                story.key,
                OVER_BUDGET,
                f"{story.key} has used {used:.1f} of its {story.gpu_hours:g} GPU-hours "
                f"({counted} run{'' if counted == 1 else 's'} with GPUs)",
            )
        )
    if stalled is not None:
        warnings.append(StoryWarning(story.key, PLATEAU, stalled.message(story.key)))
    return StorySignals(compute, stalled, tuple(warnings))


@dataclass(frozen=True)
class SprintCompute:
    """GPU-hours of a sprint's stories against the sum of their budgets."""

    budget: float | None  # None when no story in the sprint has a budget
    used: float
    stories_over: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """`compute` in `plan --format json`."""
        return {
            "budget": self.budget,
            "used": round(self.used, 3),
            "stories_over": self.stories_over,
        }


def sprint_compute(
    session: Session, stories: Sequence[Story], as_of: datetime, rules: PlateauRules
) -> tuple[SprintCompute, dict[str, StorySignals]]:
    """The sprint's compute (a run two stories share counts once) and each story's signals."""
    runs_of = story_runs(session, [story.id for story in stories if story.id is not None])
    signals = {
        story.key: story_signals(story, runs_of.get(story.id or 0, []), as_of, rules)
        for story in stories
    }
    every_run = {run.run_id: run for runs in runs_of.values() for run in runs}
    budgets = [story.gpu_hours for story in stories if story.gpu_hours is not None]
    used, _ = gpu_hours_of(every_run.values(), as_of)
    over = [story.key for story in stories if signals[story.key].compute.over_budget]
    return SprintCompute(sum(budgets) if budgets else None, used, over), signals
