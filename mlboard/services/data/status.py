"""Pipeline status: freshness against the SLA, failure streaks, runs with their tasks, and the
stories a failed or stale pipeline blocks by data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlboard.domain import iso
from mlboard.errors import UserError
from mlboard.services.data.lineage_ingest import chunks
from mlboard.services.data.pipelines import FINISHED, find_pipeline, full_name
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Pipeline, PipelineRun, UTCDateTime


@dataclass(frozen=True, slots=True)
class RunView:
    """One run as `pipeline show` lists it. A run known only as a parent (no events of its own)
    takes its state and times from its children, so a DAG run shows what its tasks did."""

    run_id: str
    pipeline_id: int
    state: str | None
    started_at: datetime | None
    ended_at: datetime | None
    rows_out: int | None
    error_message: str | None
    parent_run_id: str | None
    derived: bool = False  # state and times come from the children
    children: tuple[RunView, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": self.state,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "rows_out": self.rows_out,
            "error_message": self.error_message,
            "parent_run_id": self.parent_run_id,
            "children": [child.as_json() for child in self.children],
        }


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    """A pipeline's health. `fresh` is None without an SLA; see `_status` for the definitions."""

    id: int
    namespace: str
    name: str
    owner: str
    sla_hours: float | None
    sensitivity: str
    last_state: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    fresh: bool | None
    failures_in_row: int
    rows_last: int | None
    last_error: str | None
    runs: int

    @property
    def full_name(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def failed(self) -> bool:
        """The latest finished run failed: neither a run in progress since nor an aborted one
        clears it, only a success."""
        return self.failures_in_row > 0

    def problems(self, now: datetime) -> list[str]:
        """Why a story depending on this pipeline is blocked by data (empty: it is not)."""
        found = []
        if self.failed:
            streak = (
                f" ({self.failures_in_row} failures in a row)" if self.failures_in_row > 1 else ""
            )
            error = (self.last_error or "").strip().splitlines()[:1]
            detail = f": {error[0][:100]}" if error else ""
            found.append(f"pipeline {self.full_name} failed{streak}{detail}")
        if self.fresh is False:
            found.append(f"pipeline {self.full_name} is stale: {self.staleness(now)}")
        return found

    def staleness(self, now: datetime) -> str:
        sla = f"SLA {self.sla_hours:g} h"
        if self.last_success_at is None:
            return f"never succeeded ({sla})"
        return f"last success {duration(now - self.last_success_at)} ago ({sla})"

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `pipeline list --format json` (one object per pipeline)."""
        return {
            "namespace": self.namespace,
            "name": self.name,
            "last_state": self.last_state,
            "last_run_at": iso(self.last_run_at),
            "last_success_at": iso(self.last_success_at),
            "fresh": self.fresh,
            "failures_in_row": self.failures_in_row,
            "rows_last": self.rows_last,
        }


def duration(delta: Any) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 72:
        return f"{hours / 24:.1f} d"
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


_RUN_COLUMNS = (
    PipelineRun.external_run_id, PipelineRun.pipeline_id, PipelineRun.state,
    PipelineRun.started_at, PipelineRun.ended_at, PipelineRun.rows_out,
    PipelineRun.error_message, PipelineRun.parent_run_id,
)  # fmt: skip


def _run_views(session: Session, where: Any) -> list[RunView]:
    """Runs (without their facets, which can be large), parents-only ones derived."""
    views = [RunView(*row) for row in session.exec(select(*_RUN_COLUMNS).where(where))]
    parents = [v.run_id for v in views if v.state is None]
    kids: dict[str, list[RunView]] = {}
    for chunk in chunks(parents):
        for row in session.exec(
            select(*_RUN_COLUMNS).where(col(PipelineRun.parent_run_id).in_(chunk))
        ):
            child = RunView(*row)
            kids.setdefault(child.parent_run_id or "", []).append(child)
    return [_derive(v, kids.get(v.run_id, [])) if v.state is None else v for v in views]


def _derive(view: RunView, children: list[RunView]) -> RunView:
    states = {c.state for c in children}
    for state in ("running", "failed", "aborted", "success"):
        if state in states:
            break
    else:
        return view
    starts = [c.started_at for c in children if c.started_at]
    ends = [c.ended_at for c in children if c.ended_at]
    return RunView(
        view.run_id, view.pipeline_id, state, min(starts, default=None),
        None if state == "running" else max(ends, default=None), view.rows_out,
        view.error_message, view.parent_run_id, derived=True,
    )  # fmt: skip


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _when(run: RunView) -> tuple[datetime, str]:
    return (run.started_at or run.ended_at or _EARLIEST, run.run_id)


def _status(pipeline: Pipeline, runs: list[RunView], now: datetime) -> PipelineStatus:
    """Runs are ordered by start time. `last_*` describe the latest run with a state:
    `last_run_at` is its end if it ended, else its start. `last_success_at` is when the latest
    successful run ended. `fresh` (with an SLA) is last_success_at >= now - SLA, inclusive.
    `failures_in_row` counts failed runs back from the latest finished one up to a success
    (aborted runs neither count nor break the streak). `rows_last` is the row count of the
    latest run that reported one.
    """
    known = sorted((r for r in runs if r.state is not None), key=_when)
    last = known[-1] if known else None
    successes = [r.ended_at or r.started_at for r in known if r.state == "success"]
    last_success = max((t for t in successes if t is not None), default=None)
    finished = [r for r in known if r.state in FINISHED]
    streak, last_failure = 0, None
    for run in reversed(finished):
        if run.state == "success":
            break
        if run.state == "failed":
            streak, last_failure = streak + 1, last_failure or run
    sla = pipeline.freshness_sla_hours
    fresh = None
    if sla is not None:
        fresh = last_success is not None and (now - last_success).total_seconds() <= sla * 3600
    with_rows = [r for r in known if r.rows_out is not None]
    return PipelineStatus(
        id=pipeline.id or 0,
        namespace=pipeline.namespace,
        name=pipeline.name,
        owner=pipeline.owner,
        sla_hours=sla,
        sensitivity=pipeline.sensitivity,
        last_state=last.state if last else None,
        last_run_at=(last.ended_at or last.started_at) if last else None,
        last_success_at=last_success,
        fresh=fresh,
        failures_in_row=streak,
        rows_last=with_rows[-1].rows_out if with_rows else None,
        last_error=last_failure.error_message if last_failure else None,
        runs=len(known),
    )


def statuses(
    session: Session, now: datetime, pipeline_ids: Iterable[int] | None = None
) -> list[PipelineStatus]:
    """Status of every pipeline (or of the given ones), by namespace and name."""
    query = select(Pipeline).order_by(col(Pipeline.namespace), col(Pipeline.name))
    wanted = None if pipeline_ids is None else sorted(set(pipeline_ids))
    if wanted is not None:
        query = query.where(col(Pipeline.id).in_(wanted))
    pipelines = list(session.exec(query))
    where = True if wanted is None else col(PipelineRun.pipeline_id).in_(wanted)
    by_pipeline: dict[int, list[RunView]] = {}
    for run in _run_views(session, where):
        by_pipeline.setdefault(run.pipeline_id, []).append(run)
    return [_status(p, by_pipeline.get(p.id or 0, []), now) for p in pipelines]


def last_successes(session: Session, pipeline_ids: Iterable[int]) -> dict[int, datetime]:
    """When each pipeline's latest successful run ended, exactly as `statuses` reports it in
    `last_success_at`, without reading every run of every pipeline.

    One aggregate finds it among runs with a state of their own. A parent run known only from
    its children takes its state from them; the few pipelines that have such runs go through
    `statuses`. Pipelines that never succeeded are left out.
    """
    wanted = sorted(set(pipeline_ids))
    if not wanted:
        return {}
    ended = func.coalesce(PipelineRun.ended_at, PipelineRun.started_at)
    in_wanted = col(PipelineRun.pipeline_id).in_(wanted)
    found: dict[int, datetime] = dict(
        session.exec(  # type: ignore[call-overload]
            select(PipelineRun.pipeline_id, func.max(ended, type_=UTCDateTime()))
            .where(PipelineRun.state == "success", in_wanted)
            .group_by(col(PipelineRun.pipeline_id))
        ).all()
    )
    with_parents = session.exec(
        select(PipelineRun.pipeline_id)
        .where(col(PipelineRun.state).is_(None), in_wanted)
        .distinct()
    ).all()
    for status in statuses(session, _EARLIEST, with_parents):  # the time only sets `fresh`
        found.pop(status.id, None)
        if status.last_success_at is not None:
            found[status.id] = status.last_success_at
    return found


def pipeline_statuses(ws: Workspace) -> list[PipelineStatus]:
    with ws.reading() as session:
        return statuses(session, ws.now())


def pipeline_detail(
    ws: Workspace, name: str, limit: int = 10
) -> tuple[PipelineStatus, list[RunView]]:
    """A pipeline's status and its `limit` latest runs, each with its child runs (3 levels)."""
    with ws.reading() as session:
        pipeline = find_pipeline(session, name)
        runs = _run_views(session, PipelineRun.pipeline_id == pipeline.id)
        status = _status(pipeline, runs, ws.now())
        recent = sorted(runs, key=_when, reverse=True)[: max(limit, 0)]
        return status, _with_children(session, recent, depth=3)


def _with_children(session: Session, runs: list[RunView], depth: int) -> list[RunView]:
    if depth == 0 or not runs:
        return runs
    ids = [r.run_id for r in runs]
    kids: dict[str, list[RunView]] = {}
    for chunk in chunks(ids):
        for child in _run_views(session, col(PipelineRun.parent_run_id).in_(chunk)):
            kids.setdefault(child.parent_run_id or "", []).append(child)
    result = []
    for run in runs:
        children = sorted(kids.get(run.run_id, []), key=_when)
        nested = tuple(_with_children(session, children, depth - 1))
        result.append(RunView(*(getattr(run, f) for f in RunView.__slots__[:-1]), nested))
    return result


def depend(ws: Workspace, key: str, pipeline_name: str, *, remove: bool = False) -> tuple[str, str]:
    """Make a story depend on a pipeline (or stop), recorded in the story's history."""
    from mlboard.services.stories.lookup import find_story
    from mlboard.store.tables import StoryEvent, StoryPipeline

    with ws.writing() as session:
        story, pipeline = find_story(session, key), find_pipeline(session, pipeline_name)
        link = session.exec(
            select(StoryPipeline).where(
                StoryPipeline.story_id == story.id, StoryPipeline.pipeline_id == pipeline.id
            )
        ).first()
        name = full_name(pipeline)
        if remove and link is None:
            raise UserError(f"{story.key} does not depend on pipeline {name}")
        if not remove and link is not None:
            raise UserError(f"{story.key} already depends on pipeline {name}")
        if remove:
            session.delete(link)
        else:
            session.add(StoryPipeline(story_id=story.id, pipeline_id=pipeline.id))
        change = {"old": name} if remove else {"new": name}
        session.add(
            StoryEvent(story_id=story.id, at=ws.now(), actor=ws.actor, field="pipeline", **change)
        )
        return story.key, name


def data_blockers(
    ws_or_session: Workspace | Session, story_keys: Iterable[str], *, now: datetime | None = None
) -> dict[str, list[str]]:
    """Stories blocked by data: story key -> reasons, one per failed or stale dependency.

    Only blocked stories appear (keys as stored, upper case). `now` defaults to the
    workspace's clock (or the real time when given a session).
    """
    from mlboard.store.tables import Story, StoryPipeline

    if isinstance(ws_or_session, Workspace):
        with ws_or_session.reading() as session:
            return data_blockers(session, story_keys, now=now or ws_or_session.now())
    session, now = ws_or_session, now or datetime.now(UTC)
    keys = sorted({k.strip().upper() for k in story_keys})
    links: list[tuple[str, int]] = []
    for chunk in chunks(keys):
        links += session.exec(
            select(Story.key, StoryPipeline.pipeline_id)
            .join(StoryPipeline, col(StoryPipeline.story_id) == col(Story.id))
            .where(col(Story.key).in_(chunk))
        ).all()
    if not links:
        return {}
    found = {s.id: s for s in statuses(session, now, {pid for _, pid in links})}
    blockers: dict[str, list[str]] = {}
    for key, pipeline_id in sorted(links, key=lambda link: (link[0], found[link[1]].full_name)):
        reasons = found[pipeline_id].problems(now)
        if reasons:
            blockers.setdefault(key, []).extend(reasons)
    return blockers
