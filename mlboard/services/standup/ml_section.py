"""The ML part of the standup digest: runs, new bests, targets met, training signals, models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from mlboard.analytics.metric_pairs import pair_metrics
from mlboard.analytics.training_signals import best_run, overfitting, run_health
from mlboard.domain import iso, parse_target
from mlboard.services.experiments.metric_history import load_histories
from mlboard.services.experiments.runs import (
    recent_typical_durations,
    stories_by_run,
    story_runs,
    summary,
)
from mlboard.services.experiments.story_signals import story_signals
from mlboard.services.standup.context import DigestContext
from mlboard.store.tables import ModelVersion, Run, Story

ENDED = ("FINISHED", "FAILED", "KILLED")
LONG_FACTOR = 2.0  # running longer than twice the usual is worth a word at the standup


def _run_item(run: Run, stories: list[str]) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "run_name": run.run_name,
        "experiment": run.experiment_name,
        "status": run.status,
        "stories": stories,
        "end": iso(run.end_time),
    }


def ml_section(ctx: DigestContext) -> tuple[str, Any]:
    """What the runs and the registry did in the window, story by story.

    Only stories whose runs ended in the window are examined, so the section costs the same on
    a board with fifty thousand runs as on one with fifty.
    """
    session, window = ctx.session, ctx.window
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
    stories_of_run = stories_by_run(session, [run.run_id for run in ended])
    finished = [_run_item(r, stories_of_run[r.run_id]) for r in ended if r.status == "FINISHED"]
    failed = [_run_item(r, stories_of_run[r.run_id]) for r in ended if r.status != "FINISHED"]
    touched_keys = {key for keys in stories_of_run.values() for key in keys}
    touched = session.exec(select(Story).where(col(Story.key).in_(touched_keys))).all()
    new_bests, targets_met = _bests(ctx, touched)
    return "ml", {
        "runs_finished": finished,
        "runs_failed": failed,
        "new_bests": new_bests,
        "targets_met": targets_met,
        "long_running": _long_running(ctx),
        "overfitting": _new_overfitting(ctx, ended, stories_of_run),
        "models": _models(ctx),
        "story_warnings": _story_warnings(ctx, touched_keys),
    }


def _bests(ctx: DigestContext, stories: list[Story]) -> tuple[list[dict], list[dict]]:
    """New best values on story targets (previous -> new), and targets met by them."""
    window = ctx.window
    runs_of = story_runs(ctx.session, [s.id for s in stories if s.id is not None])
    new_bests, targets_met = [], []
    for story in sorted(stories, key=lambda s: s.number):
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
        met_now = target.is_met(now[1])
        met_before = before is not None and target.is_met(before[1])
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
    return new_bests, targets_met


def _long_running(ctx: DigestContext) -> list[dict[str, Any]]:
    """Runs still running that went past twice their experiment's typical duration during the
    window: a run that was already overdue at the last standup was news then."""
    session, window = ctx.session, ctx.window
    running = session.exec(
        select(Run.run_id, Run.experiment_id, Run.start_time).where(
            Run.status == "RUNNING", col(Run.deleted).is_(False), col(Run.start_time).is_not(None)
        )
    ).all()
    typical = recent_typical_durations(session, {experiment for _, experiment, _ in running})
    overdue = [
        run_id
        for run_id, experiment, start in running
        if typical.get(experiment)
        and window.holds(start + timedelta(milliseconds=LONG_FACTOR * typical[experiment]))
    ]
    if not overdue:
        return []
    runs = session.exec(select(Run).where(col(Run.run_id).in_(overdue))).all()
    stories_of_run = stories_by_run(session, overdue)
    now_ms = int(window.until.timestamp() * 1000)
    return [
        {**_run_item(run, stories_of_run[run.run_id]), "message": warning.message}
        for run in runs
        for warning in run_health(
            summary(run), now_ms, typical[run.experiment_id], factor=LONG_FACTOR
        )
    ]


def _new_overfitting(
    ctx: DigestContext, ended: list[Run], stories_of_run: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Overfitting in runs that ended in the window and count for a story (older ones were
    news at an earlier standup), from their cached metric histories."""
    runs = [run for run in ended if stories_of_run.get(run.run_id)]
    histories = load_histories(ctx.session, [run.id for run in runs if run.id is not None])
    found = []
    for run in runs:
        for pair in pair_metrics(run.metrics):
            train, val = histories.get((run.id, pair.train)), histories.get((run.id, pair.val))
            warning = overfitting(summary(run), train, val, pair) if train and val else None
            if warning is not None:
                found += [
                    {"story": key, "run_id": run.run_id, "message": warning.message}
                    for key in stories_of_run[run.run_id]
                ]
    return found


def _story_warnings(ctx: DigestContext, touched_keys: set[str]) -> list[dict[str, Any]]:
    """Stories that went over their GPU budget or reached a plateau during the window.

    Only stories whose runs ended in the window (a plateau needs a finished run) or are still
    running (GPU-hours grow while a run runs) can have crossed a line since the last standup.
    """
    session, window = ctx.session, ctx.window
    running = session.exec(
        select(Run.run_id).where(Run.status == "RUNNING", col(Run.deleted).is_(False))
    ).all()
    keys = touched_keys | {
        key for keys in stories_by_run(session, running).values() for key in keys
    }
    stories = session.exec(
        select(Story).where(col(Story.key).in_(keys)).order_by(col(Story.number))
    ).all()
    rules = ctx.ws.settings.plateau
    runs_of = story_runs(session, [story.id for story in stories if story.id is not None])
    found = []
    for story in stories:
        runs = runs_of.get(story.id or 0, [])
        before = {w.kind for w in story_signals(story, runs, window.since, rules).warnings}
        found += [
            {"story": warning.story, "kind": warning.kind, "message": warning.message}
            for warning in story_signals(story, runs, window.until, rules).warnings
            if warning.kind not in before
        ]
    return found


def _models(ctx: DigestContext) -> list[dict[str, Any]]:
    """Versions registered, and versions whose aliases changed, in the window."""
    window = ctx.window
    versions = ctx.session.exec(
        select(ModelVersion)
        .where(
            or_(
                (col(ModelVersion.created_at) > window.since)
                & (col(ModelVersion.created_at) <= window.until),
                (col(ModelVersion.updated_at) > window.since)
                & (col(ModelVersion.updated_at) <= window.until),
            )
        )
        .order_by(col(ModelVersion.name), col(ModelVersion.version))
    ).all()
    stories_of_run = stories_by_run(ctx.session, [v.run_id for v in versions if v.run_id])
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
