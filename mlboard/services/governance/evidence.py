"""The evidence of a story's runs: best value against its target, the trend, and warnings.

Run warnings come from two sources: a run's own state (failed, killed, running much longer than
its experiment usually takes) and its cached metric history (overfitting). Each names the run
and what was seen, so a person can check it in MLflow. Story warnings are about the runs
together: GPU-hours over the story's budget, and a best value that stopped improving
(`story_signals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mlboard.analytics.metric_pairs import pair_metrics
from mlboard.analytics.plateau import Plateau
from mlboard.analytics.training_signals import (
    RunWarning,
    TrendPoint,
    best_run,
    overfitting,
    run_health,
    target_met,
    trend,
)
from mlboard.config import PlateauRules
from mlboard.domain import Target, parse_target
from mlboard.services.experiments.metric_history import load_histories
from mlboard.services.experiments.runs import (
    RunView,
    recent_typical_durations,
    run_views,
    story_runs,
    summary,
)
from mlboard.services.experiments.story_signals import StoryCompute, StoryWarning, story_signals
from mlboard.services.stories.lookup import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Run, Story


@dataclass(frozen=True)
class Evidence:
    """What a story's runs say. `best` is None without a target or a finished run."""

    target: Target | None
    runs: list[RunView]
    best_run_id: str | None
    best_value: float | None
    target_met: bool | None
    trend: list[TrendPoint]
    warnings: list[RunWarning]
    compute: StoryCompute
    plateau: Plateau | None = None
    story_warnings: list[StoryWarning] = field(default_factory=list)

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + len(self.story_warnings)

    def as_json(self) -> dict[str, Any]:
        """The keys `story show --format json` adds: runs, best, target_met, warnings (the
        story's own with `run_id` null), compute."""
        return {
            "runs": [run.as_json() for run in self.runs],
            "best": (
                {"run_id": self.best_run_id, "value": self.best_value}
                if self.best_run_id is not None
                else None
            ),
            "target_met": self.target_met,
            "warnings": [
                {"run_id": w.run_id, "kind": w.kind, "message": w.message} for w in self.warnings
            ]
            + [{"run_id": None, "kind": w.kind, "message": w.message} for w in self.story_warnings],
            "compute": self.compute.as_json(),
        }


def _warnings(
    runs: Sequence[Run],
    histories: dict[tuple[int, str], Any],
    typical: dict[str, float | None],
    now: datetime,
) -> list[RunWarning]:
    found: list[RunWarning] = []
    now_ms = int(now.timestamp() * 1000)
    for run in runs:
        run_summary = summary(run)
        found += run_health(run_summary, now_ms, typical.get(run.experiment_id))
        for pair in pair_metrics(run.metrics):
            train = histories.get((run.id, pair.train))
            val = histories.get((run.id, pair.val))
            if train and val:
                warning = overfitting(run_summary, train, val, pair)
                if warning is not None:
                    found.append(warning)
    return found


def evidence_for(
    session: Session,
    stories: Sequence[Story],
    now: datetime,
    plateau_rules: PlateauRules | None = None,
) -> dict[str, Evidence]:
    """Evidence for several stories at once (the board asks for a whole sprint)."""
    runs_by_story = story_runs(session, [s.id for s in stories if s.id is not None])
    all_runs = [run for runs in runs_by_story.values() for run in runs]
    histories = load_histories(session, [run.id for run in all_runs if run.id is not None])
    typical = recent_typical_durations(session, {run.experiment_id for run in all_runs})
    result = {}
    for story in stories:
        runs = runs_by_story.get(story.id or 0, [])
        target = parse_target(story.target) if story.target else None
        best = best_run([summary(run) for run in runs], target) if target else None
        signals = story_signals(story, runs, now, plateau_rules or PlateauRules())
        result[story.key] = Evidence(
            target=target,
            runs=run_views(session, runs),
            best_run_id=best[0].run_id if best else None,
            best_value=best[1] if best else None,
            target_met=target_met(best[1], target) if best and target else None,
            trend=trend([summary(run) for run in runs], target) if target else [],
            warnings=_warnings(runs, histories, typical, now),
            compute=signals.compute,
            plateau=signals.plateau,
            story_warnings=list(signals.warnings),
        )
    return result


def story_evidence(ws: Workspace, key: str) -> Evidence:
    with ws.reading() as session:
        story = find_story(session, key)
        return evidence_for(session, [story], ws.now(), ws.settings.plateau)[story.key]


def sprint_evidence(ws: Workspace, keys: Iterable[str]) -> dict[str, Evidence]:
    with ws.reading() as session:
        stories = session.exec(select(Story).where(col(Story.key).in_(list(keys)))).all()
        return evidence_for(session, stories, ws.now(), ws.settings.plateau)
