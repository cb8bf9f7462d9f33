"""The ML part of the standup digest: runs, new bests, targets met, training signals, models."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import col, select

from mlboard.analytics.training_signals import best_run, run_health, typical_durations
from mlboard.domain import parse_target
from mlboard.services.evidence import evidence_for, summary
from mlboard.services.experiments import story_runs
from mlboard.services.standup import DigestContext
from mlboard.store.tables import ModelVersion, Run, Story

ENDED = ("FINISHED", "FAILED", "KILLED")


def _run_item(run: Run, stories: list[str]) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "run_name": run.run_name,
        "experiment": run.experiment_name,
        "status": run.status,
        "stories": stories,
        "end": run.end_time.isoformat() if run.end_time else None,
    }


def ml_section(ctx: DigestContext) -> tuple[str, Any]:
    """What the runs and the registry did in the window, story by story."""
    session, window = ctx.session, ctx.window
    stories = session.exec(select(Story)).all()
    runs_of = story_runs(session, [s.id for s in stories if s.id is not None])
    key_of = {s.id: s.key for s in stories}
    stories_of_run: dict[str, list[str]] = defaultdict(list)
    for story_id, runs in runs_of.items():
        for run in runs:
            stories_of_run[run.run_id].append(key_of[story_id])
    ended = session.exec(
        select(Run)
        .where(
            col(Run.status).in_(ENDED),
            col(Run.deleted).is_(False),
            col(Run.end_time) > window.since,
            col(Run.end_time) <= window.until,
        )
        .order_by(col(Run.end_time))
    ).all()
    finished = [_run_item(r, stories_of_run[r.run_id]) for r in ended if r.status == "FINISHED"]
    failed = [_run_item(r, stories_of_run[r.run_id]) for r in ended if r.status != "FINISHED"]

    new_bests, targets_met = [], []
    for story in stories:
        if not story.target or not runs_of.get(story.id or 0):
            continue
        target = parse_target(story.target)
        runs = runs_of[story.id or 0]
        before = best_run(
            [summary(r) for r in runs if r.end_time and r.end_time <= window.since], target
        )
        now = best_run(
            [summary(r) for r in runs if r.end_time and r.end_time <= window.until], target
        )
        if now is None or (before is not None and before[0].run_id == now[0].run_id):
            continue
        met_now, met_before = target.is_met(now[1]), before is not None and target.is_met(before[1])
        new_bests.append(
            {
                "story": story.key,
                "metric": target.metric,
                "previous": before[1] if before else None,
                "new": now[1],
                "run_id": now[0].run_id,
                "target": str(target),
                "target_met": met_now,
            }
        )
        if met_now and not met_before:
            targets_met.append({"story": story.key, "target": str(target), "value": now[1]})

    return "ml", {
        "runs_finished": finished,
        "runs_failed": failed,
        "new_bests": new_bests,
        "targets_met": targets_met,
        "long_running": _long_running(ctx, stories_of_run),
        "overfitting": _new_overfitting(ctx, stories, ended),
        "models": _models(ctx, stories_of_run),
    }


def _long_running(ctx: DigestContext, stories_of_run: dict[str, list[str]]) -> list[dict[str, Any]]:
    session, until = ctx.session, ctx.window.until
    running = session.exec(
        select(Run).where(Run.status == "RUNNING", col(Run.deleted).is_(False))
    ).all()
    if not running:
        return []
    finished = session.exec(
        select(Run).where(
            col(Run.experiment_id).in_({r.experiment_id for r in running}),
            Run.status == "FINISHED",
        )
    ).all()
    typical = typical_durations(summary(r) for r in finished)
    now_ms = int(until.timestamp() * 1000)
    found = []
    for run in running:
        for warning in run_health(summary(run), now_ms, typical.get(run.experiment_id)):
            found.append({**_run_item(run, stories_of_run[run.run_id]), "message": warning.message})
    return found


def _new_overfitting(ctx: DigestContext, stories: list[Story], ended: list[Run]) -> list[dict]:
    """Overfitting warnings of runs that ended in the window (older ones were news before)."""
    ended_ids = {run.run_id for run in ended}
    evidence = evidence_for(ctx.session, stories, ctx.window.until)
    return [
        {"story": key, "run_id": w.run_id, "message": w.message}
        for key, found in evidence.items()
        for w in found.warnings
        if w.kind == "overfitting" and w.run_id in ended_ids
    ]


def _models(ctx: DigestContext, stories_of_run: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Versions registered, and versions whose aliases changed, in the window."""
    window = ctx.window
    versions = ctx.session.exec(
        select(ModelVersion).order_by(col(ModelVersion.name), col(ModelVersion.version))
    ).all()
    news = []
    for version in versions:
        registered = window.holds(version.created_at)
        touched = window.holds(version.updated_at) and bool(version.aliases)
        if registered or touched:
            news.append(
                {
                    "name": version.name,
                    "version": version.version,
                    "aliases": list(version.aliases),
                    "event": "registered" if registered else "aliases",
                    "run_id": version.run_id,
                    "stories": stories_of_run.get(version.run_id or "", []),
                }
            )
    return news
