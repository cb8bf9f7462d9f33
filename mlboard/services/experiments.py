"""Runs and registered models as the board shows them: listed, filtered, and tied to stories."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlboard.analytics.training_signals import RunSummary, typical_durations
from mlboard.domain import iso
from mlboard.errors import UserError
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ModelVersion, Run, Story, StoryRun


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: str
    run_name: str
    experiment_id: str
    experiment_name: str
    status: str
    user: str
    start: datetime | None
    end: datetime | None
    deleted: bool
    parent_run_id: str | None
    metrics: dict[str, float | None]
    params: dict[str, str]
    tracking_uri: str
    stories: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.run_name or self.run_id[:12]

    def as_json(self) -> dict[str, Any]:
        """One run in `story show --format json` (`runs`): the documented keys first."""
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "status": self.status,
            "start": iso(self.start),
            "end": iso(self.end),
            "metrics": self.metrics,
            "experiment": self.experiment_name,
            "user": self.user,
            "parent_run_id": self.parent_run_id,
            "deleted": self.deleted,
        }


MIN_PREFIX = 4  # characters of a run id that `find_run` accepts, as git accepts 4 of a hash
MAX_CANDIDATES = 10  # runs an ambiguous prefix lists


def find_run(session: Session, text: str) -> Run:
    """The run whose id is `text`, or the only one whose id starts with it (like git).

    A prefix needs at least MIN_PREFIX characters; a prefix several runs share is refused with
    up to MAX_CANDIDATES of them listed (newest first), so the user can pick one. MLflow run
    ids are lower-case hex, so a prefix is matched in lower case.
    """
    typed = text.strip()
    run = session.exec(select(Run).where(Run.run_id == typed)).first()
    if run is not None:
        return run
    wanted = typed.lower()
    if len(wanted) < MIN_PREFIX:
        raise UserError(
            f"run id {typed!r} is too short: give at least {MIN_PREFIX} characters of it"
        )
    matches = col(Run.run_id).startswith(wanted, autoescape=True)
    # ids only first: a scan of the run id index, not of the runs themselves
    ids = session.exec(select(Run.run_id).where(matches).limit(MAX_CANDIDATES + 1)).all()
    if not ids:
        raise UserError(f"run {typed} is not on the board (run `mlboard sync` first?)")
    found = session.exec(
        select(Run)
        .where(col(Run.run_id).in_(ids))
        .order_by(col(Run.start_time).desc(), col(Run.run_id))
    ).all()
    if len(found) == 1:
        return found[0]
    total = session.exec(select(func.count()).select_from(Run).where(matches)).one()
    listed = ", ".join(
        f"{run.run_id} ({run.run_name})" if run.run_name else run.run_id
        for run in found[:MAX_CANDIDATES]
    )
    more = f" and {total - MAX_CANDIDATES} more" if total > MAX_CANDIDATES else ""
    raise UserError(f"run id {wanted!r} is ambiguous: {total} runs start with it: {listed}{more}")


def run_views(session: Session, runs: Iterable[Run]) -> list[RunView]:
    runs = list(runs)
    keys: dict[int, list[str]] = defaultdict(list)
    if runs:
        for run_pk, key in session.exec(
            select(StoryRun.run_pk, Story.key)
            .join(Story, col(Story.id) == col(StoryRun.story_id))
            .where(col(StoryRun.active).is_(True), col(StoryRun.run_pk).in_([r.id for r in runs]))
        ):
            keys[run_pk].append(key)
    return [
        RunView(
            run_id=run.run_id,
            run_name=run.run_name,
            experiment_id=run.experiment_id,
            experiment_name=run.experiment_name,
            status=run.status,
            user=run.user,
            start=run.start_time,
            end=run.end_time,
            deleted=run.deleted,
            parent_run_id=run.parent_run_id,
            metrics=run.metrics,
            params=run.params,
            tracking_uri=run.tracking_uri,
            stories=tuple(sorted(keys.get(run.id or 0, ()))),
        )
        for run in runs
    ]


def list_runs(
    ws: Workspace,
    *,
    experiment: str | None = None,
    status: str | None = None,
    unlinked: bool = False,
    include_deleted: bool = False,
    limit: int | None = None,
) -> list[RunView]:
    """Runs, newest first; `unlinked` keeps those no story counts as evidence (yet)."""
    query = select(Run)
    if not include_deleted:
        query = query.where(col(Run.deleted).is_(False))
    if experiment:
        query = query.where(Run.experiment_name == experiment)
    if status:
        query = query.where(Run.status == status.upper())
    if unlinked:
        linked = select(StoryRun.run_pk).where(col(StoryRun.active).is_(True))
        query = query.where(col(Run.id).not_in(linked))
    query = query.order_by(col(Run.start_time).desc(), col(Run.id).desc())
    if limit is not None:
        query = query.limit(limit)
    with ws.reading() as session:
        return run_views(session, session.exec(query))


def experiment_names(ws: Workspace) -> list[str]:
    with ws.reading() as session:
        return list(
            session.exec(select(Run.experiment_name).distinct().order_by(Run.experiment_name))
        )


def run_count(ws: Workspace) -> int:
    with ws.reading() as session:
        return session.exec(select(func.count()).select_from(Run)).one()


def story_runs(session: Session, story_ids: Iterable[int]) -> dict[int, list[Run]]:
    """Runs counted as evidence for each story: linked runs and their nested children.

    A grid search logs one parent run and many children (`mlflow.parentRunId`); linking the
    parent is enough for all of them to roll up to the story.
    """
    ids = list(story_ids)
    if not ids:
        return {}
    linked = session.exec(
        select(StoryRun.story_id, Run)
        .join(Run, col(Run.id) == col(StoryRun.run_pk))
        .where(col(StoryRun.story_id).in_(ids), col(StoryRun.active).is_(True))
    ).all()
    by_story: dict[int, dict[str, Run]] = defaultdict(dict)
    for story_id, run in linked:
        by_story[story_id][run.run_id] = run
    parents = {run.run_id for _, run in linked}
    if parents:
        children = session.exec(select(Run).where(col(Run.parent_run_id).in_(parents))).all()
        owners: dict[str, list[int]] = defaultdict(list)
        for story_id, run in linked:
            owners[run.run_id].append(story_id)
        for child in children:
            for story_id in owners[child.parent_run_id or ""]:
                by_story[story_id].setdefault(child.run_id, child)
    return {
        story_id: sorted(
            (run for run in runs.values() if not run.deleted),
            key=lambda run: (run.start_time is None, run.start_time),
        )
        for story_id, runs in by_story.items()
    }


@dataclass(frozen=True, slots=True)
class ModelVersionView:
    name: str
    version: int
    aliases: tuple[str, ...]
    status: str
    run_id: str | None
    run_name: str | None
    stories: tuple[str, ...]
    created_at: datetime | None
    description: str

    def as_json(self) -> dict[str, Any]:
        """One entry of `model list --format json`."""
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "status": self.status,
            "run_id": self.run_id,
            "stories": list(self.stories),
            "created_at": iso(self.created_at),
        }

    def as_story_json(self) -> dict[str, Any]:
        """One entry of `models` in `story show --format json`."""
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "run_id": self.run_id,
            "status": self.status,
            "created": iso(self.created_at),
        }


def version_views(session: Session, versions: Sequence[ModelVersion]) -> list[ModelVersionView]:
    """Registered versions with their run's name and the stories the run counts for (its own
    links, or its parent run's: a model registered from one run of a sweep)."""
    run_ids = [v.run_id for v in versions if v.run_id]
    query = select(Run.run_id, Run.run_name).where(col(Run.run_id).in_(run_ids))
    names = dict(session.exec(query).all())
    stories = stories_by_run(session, run_ids)
    return [
        ModelVersionView(
            name=v.name,
            version=v.version,
            aliases=tuple(v.aliases),
            status=v.status,
            run_id=v.run_id,
            run_name=(names[v.run_id] or v.run_id[:12]) if v.run_id in names else None,
            stories=tuple(stories.get(v.run_id or "", ())),
            created_at=v.created_at,
            description=v.description,
        )
        for v in versions
    ]


def list_model_versions(ws: Workspace) -> list[ModelVersionView]:
    """Every registered version, newest first per model, with the stories of its run."""
    with ws.reading() as session:
        versions = session.exec(
            select(ModelVersion).order_by(col(ModelVersion.name), col(ModelVersion.version).desc())
        ).all()
        return version_views(session, versions)


def stories_by_run(session: Session, run_ids: Iterable[str]) -> dict[str, list[str]]:
    """The story keys each run counts for: its own links, or its parent run's (nested runs)."""
    runs = session.exec(
        select(Run.run_id, Run.parent_run_id).where(col(Run.run_id).in_(list(run_ids)))
    ).all()
    lookup = {run.run_id for run in runs} | {run.parent_run_id for run in runs if run.parent_run_id}
    links: dict[str, list[str]] = defaultdict(list)
    for run_id, key in session.exec(
        select(Run.run_id, Story.key)
        .join(StoryRun, col(StoryRun.run_pk) == col(Run.id))
        .join(Story, col(Story.id) == col(StoryRun.story_id))
        .where(col(StoryRun.active).is_(True), col(Run.run_id).in_(lookup))
    ):
        links[run_id].append(key)
    return {
        run.run_id: sorted({*links.get(run.run_id, ()), *links.get(run.parent_run_id or "", ())})
        for run in runs
    }


TYPICAL_SAMPLE = 50  # recent finished runs per experiment that define its typical duration


def recent_typical_durations(
    session: Session, experiment_ids: Iterable[str]
) -> dict[str, float | None]:
    """`analytics.training_signals.typical_durations` (ms) over each experiment's newest runs.

    What "usual" means drifts as code and data change, and a board with fifty thousand runs
    must not read them all to flag one slow run.
    """
    summaries = []
    for experiment_id in set(experiment_ids):
        rows = session.exec(
            select(Run.run_id, Run.start_time, Run.end_time)
            .where(Run.experiment_id == experiment_id, Run.status == "FINISHED")
            .order_by(col(Run.start_time).desc())
            .limit(TYPICAL_SAMPLE)
        )
        summaries += [
            RunSummary(run_id, "", experiment_id, "FINISHED", ms_of(start), ms_of(end), {})
            for run_id, start, end in rows
        ]
    return typical_durations(summaries)


def ms_of(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def summary(run: Run) -> RunSummary:
    """A mirrored run as the training-signal analytics read it (missing metric values left out)."""
    return RunSummary(
        run_id=run.run_id,
        run_name=run.run_name,
        experiment_id=run.experiment_id,
        status=run.status,
        start_ms=ms_of(run.start_time),
        end_ms=ms_of(run.end_time),
        metrics={k: v for k, v in run.metrics.items() if v is not None},
    )
