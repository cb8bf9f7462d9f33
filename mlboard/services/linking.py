"""Linking runs to stories by hand, and the link tag written back to MLflow.

A link made here is recorded like any other change of the story (a `run` history entry), so
standups and audits see it. With `write_tag`, the run's own `mlboard.story` tag is set (or
removed on unlink), so the link survives a rebuilt board and is visible in MLflow's UI.
"""

from __future__ import annotations

from sqlmodel import select

from mlboard.errors import UserError
from mlboard.services.experiments import find_run
from mlboard.services.stories import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import StoryEvent, StoryRun


def link_run(ws: Workspace, key: str, run_id: str, *, write_tag: bool | None = None) -> str:
    """Link a run to a story; returns the tracking URI the run came from."""
    with ws.writing() as session:
        story, run = find_story(session, key), find_run(session, run_id)
        link = session.exec(
            select(StoryRun).where(StoryRun.story_id == story.id, StoryRun.run_pk == run.id)
        ).first()
        if link is not None and link.active:
            raise UserError(f"run {run.run_id} is already linked to {story.key}")
        now = ws.now()
        if link is None:
            link = StoryRun(story_id=story.id, run_pk=run.id, how="manual", created_at=now)
        link.active, link.how, link.actor = True, "manual", ws.actor
        session.add(link)
        session.add(
            StoryEvent(story_id=story.id, at=now, actor=ws.actor, field="run", new=run.run_id)
        )
        uri, story_key = run.tracking_uri, story.key
        if _writes_tag(ws, write_tag):
            _tag(uri, run.run_id, story_key)
    return uri


def unlink_run(ws: Workspace, key: str, run_id: str, *, write_tag: bool | None = None) -> None:
    """Unlink a run; the next sync will not link it again even if its tag says so."""
    with ws.writing() as session:
        story, run = find_story(session, key), find_run(session, run_id)
        link = session.exec(
            select(StoryRun).where(StoryRun.story_id == story.id, StoryRun.run_pk == run.id)
        ).first()
        if link is None or not link.active:
            raise UserError(f"run {run.run_id} is not linked to {story.key}")
        link.active, link.actor = False, ws.actor
        session.add(link)
        session.add(
            StoryEvent(story_id=story.id, at=ws.now(), actor=ws.actor, field="run", old=run.run_id)
        )
        if _writes_tag(ws, write_tag) and run.tags.get("mlboard.story", "").upper() == story.key:
            _tag(run.tracking_uri, run.run_id, None)


def _writes_tag(ws: Workspace, write_tag: bool | None) -> bool:
    return ws.settings.link_writes_tag if write_tag is None else write_tag


def _tag(uri: str, run_id: str, key: str | None) -> None:
    """Inside the transaction: if MLflow refuses, the link is not made either."""
    from mlboard.integrations.mlflow_sync import TrackingStore

    TrackingStore(uri).set_story_tag(run_id, key)
