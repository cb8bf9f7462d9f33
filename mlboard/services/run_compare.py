"""Runs side by side: `mlboard run compare`, `mlboard story compare` and the compare view.

The diff itself is `analytics.compare.diff_runs`; this module finds the runs (by id or unique
prefix, or a story's finished runs) and reads them from the mirror in one query. The overlaid
chart of one metric reads `metric_history.cached_histories` (and fetches what it lacks with
`metric_history.fetch_run_histories`, in a worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from mlboard.analytics.compare import ComparedRun, RunDiff, diff_runs
from mlboard.domain import Target, parse_target
from mlboard.errors import UserError
from mlboard.services.experiments import find_run, ms_of, story_runs
from mlboard.services.run_detail import RunRef
from mlboard.services.stories import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Run

MAX_COMPARED = 50


@dataclass(frozen=True)
class Comparison:
    """The runs in the order compared, and what differs between them."""

    runs: tuple[RunRef, ...]
    diff: RunDiff
    target: Target | None = None  # the story's, when comparing a story's runs

    @property
    def best(self) -> dict[str, str]:
        """The best run's id per metric (system metrics have none)."""
        return {name: self.runs[index].run_id for name, index in self.diff.best.items()}

    def params(self, *, all_params: bool = False) -> dict[str, list[str | None]]:
        """Each parameter's value per run: those that differ, then (with `all_params`) those
        every run logged with the same value."""
        if not all_params:
            return self.diff.params
        same = {k: [v] * len(self.runs) for k, v in self.diff.params_same.items()}
        return {**self.diff.params, **same}

    def as_json(self, *, all_params: bool = False) -> dict[str, Any]:
        """`run compare` / `story compare --format json` (documented in the README)."""
        return {
            "runs": [{"run_id": run.run_id, "run_name": run.run_name} for run in self.runs],
            "params": self.params(all_params=all_params),
            "params_same": len(self.diff.params_same),
            "metrics": self.diff.metrics,
            "best": self.best,
        }


def _comparison(runs: Sequence[Run], target: Target | None) -> Comparison:
    compared = [
        ComparedRun(run.run_id, ms_of(run.start_time), run.params, run.metrics) for run in runs
    ]
    return Comparison(
        runs=tuple(RunRef(run.run_id, run.run_name, run.status) for run in runs),
        diff=diff_runs(compared, target),
        target=target,
    )


def _resolve(session: Session, run_ids: Sequence[str]) -> list[Run]:
    """Each id or unique prefix's run, in the order given; a run named twice counts once."""
    if len(run_ids) > MAX_COMPARED:
        raise UserError(f"{len(run_ids)} runs are too many to compare: at most {MAX_COMPARED}")
    found = {}
    for text in run_ids:
        run = find_run(session, text)
        found.setdefault(run.run_id, run)
    return list(found.values())


def compare_runs(ws: Workspace, run_ids: Sequence[str]) -> Comparison:
    """Compare runs given by id or unique prefix (at least two different runs, at most 50).
    Metric directions come from the names, as no story says otherwise."""
    with ws.reading() as session:
        runs = _resolve(session, run_ids)
    if len(runs) < 2:
        raise UserError("give at least two different runs to compare")
    return _comparison(runs, None)


def compare_story_runs(ws: Workspace, key: str) -> Comparison:
    """Compare a story's finished runs (linked, or children of linked runs), in start order;
    the target metric is judged in the target's direction and listed first."""
    with ws.reading() as session:
        story = find_story(session, key)
        runs = story_runs(session, [story.id or 0]).get(story.id or 0, [])
        finished = [run for run in runs if run.status == "FINISHED"]
        story_key, target = story.key, parse_target(story.target) if story.target else None
    if not finished:
        raise UserError(f"{story_key} has no finished runs to compare")
    if len(finished) > MAX_COMPARED:
        raise UserError(
            f"{story_key} has {len(finished)} finished runs, too many to compare at once (at "
            f"most {MAX_COMPARED}): pick some with `mlboard run compare`"
        )
    return _comparison(finished, target)
