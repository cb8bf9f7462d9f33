"""A dated week of sprint S1 for the standup tests: Monday to Wednesday's standup at 09:45.

Status changes on every day, a note, and runs in a real MLflow store (finished, failed, a new
best that meets the target), so each section of the digest has something to report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlboard.services.experiments.sync import sync
from mlboard.services.planning.sprints import add_sprint, start_sprint
from mlboard.services.standup.digest import write_note
from mlboard.services.stories.records import create_story, edit_story
from mlboard.services.team.members import add_member

from mlflow_stores import T0, empty_store

MON = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Mon 23 Nov 2026 (day 0 = Monday), UTC."""
    return MON + timedelta(days=day, hours=hour, minutes=minute)


def minutes_from_t0(moment: datetime) -> int:
    return int((moment.timestamp() * 1000 - T0) // 60_000)


def build_week(ws, clock, tmp_path):
    """Mon to Wed of a sprint week; the digest is read on Wednesday 09:45."""
    clock.current = at(-7, 9)
    add_member(ws, "ana", "Ana Souza")
    add_member(ws, "bob", "Bob Ng")
    add_sprint(ws, "S1", start="2026-11-16", end="2026-11-27")
    for title, owner in (("Churn model", "ana"), ("Backfill", "bob"), ("Legal", "bob"),
                         ("Old news", "ana")):  # fmt: skip
        create_story(ws, title, {"sprint": "S1", "assignee": owner, "points": "3", "kind": "data"})
    create_story(ws, "Fraud model", {"sprint": "S1", "assignee": "ana", "points": "5",
                                     "target": "val_auc >= 0.85"})  # fmt: skip
    start_sprint(ws, "S1")
    clock.current = at(0, 10)
    edit_story(ws, "ML-1", {"status": "in_progress"})
    edit_story(ws, "ML-2", {"status": "in_progress"})
    clock.current = at(0, 12)
    edit_story(ws, "ML-4", {"status": "done"})  # Monday: told at Tuesday's standup
    clock.current = at(1, 14)
    edit_story(ws, "ML-1", {"status": "done"})
    clock.current = at(1, 15)
    edit_story(ws, "ML-2", {"status": "todo"})
    edit_story(ws, "ML-3", {"status": "in_progress", "blocked": "waiting on legal"})

    store = empty_store(tmp_path / "mlflow")
    store.run("fraud", "baseline", story="ML-5", start=minutes_from_t0(at(0, 11)), minutes=30,
              metrics={"val_auc": 0.80})  # fmt: skip
    store.run("fraud", "lgbm", story="ML-5", start=minutes_from_t0(at(1, 11)), minutes=60,
              metrics={"val_auc": 0.87})  # fmt: skip
    store.run("fraud", "nan-loss", story="ML-5", start=minutes_from_t0(at(1, 16)), minutes=5,
              status="FAILED")  # fmt: skip
    clock.current = at(2, 9, 45)
    sync(ws, store.uri)
    write_note(ws, "ana", yesterday="finished churn", today="fraud eval", blockers="")
    return ws
