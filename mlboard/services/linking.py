"""Linking runs to stories by hand, and the link tag written back to MLflow.

A link made here is recorded like any other change of the story (a `run` history entry), so
standups and audits see it. With `write_tag`, the run's own `mlboard.story` tag is set (or
removed on unlink), so the link survives a rebuilt board and is visible in MLflow's UI.

The tag is a network call, and no network call happens while the board's write lock is held:
the link, its history entry and a `PendingTag` (what the tag should become) commit together
first; MLflow is called afterwards. A call that succeeds clears the pending tag; one that fails
leaves it, and the link stands: the caller shows the warning, and the next `mlboard sync` of
that tracking URI tries again (`retry_pending_tags`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from mlboard.domain import STORY_TAG
from mlboard.errors import UserError
from mlboard.integrations.mlflow_sync import TrackingStore
from mlboard.services.experiments import find_run
from mlboard.services.stories import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import PendingTag, Run, Story, StoryEvent, StoryRun


@dataclass(frozen=True, slots=True)
class TagWrite:
    """One tag change for MLflow, as committed in a PendingTag."""

    run_pk: int
    run_id: str
    tracking_uri: str
    story_key: str | None  # None: remove the tag


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What a link or unlink did: the link is made; `tag_warning` says the tag is not (yet)."""

    tracking_uri: str
    tag_warning: str | None = None


def _find_link(session: Session, key: str, run_id: str) -> tuple[Story, Run, StoryRun | None]:
    story, run = find_story(session, key), find_run(session, run_id)
    link = session.exec(
        select(StoryRun).where(StoryRun.story_id == story.id, StoryRun.run_pk == run.id)
    ).first()
    return story, run, link


def link_run(ws: Workspace, key: str, run_id: str, *, write_tag: bool | None = None) -> LinkResult:
    """Link a run to a story, then (per `write_tag`, else the settings) tag it in MLflow."""
    with ws.writing() as session:
        story, run, link = _find_link(session, key, run_id)
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
        tag = _want_tag(session, run, story.key, now) if _writes_tag(ws, write_tag) else None
    return LinkResult(run.tracking_uri, push_tag(ws, tag) if tag else None)


def unlink_run(
    ws: Workspace, key: str, run_id: str, *, write_tag: bool | None = None
) -> LinkResult:
    """Unlink a run; the next sync will not link it again even if its tag says so.

    The tag is removed only if it names this story. A tag write for this story that never
    reached MLflow is simply cancelled, so a tag the run had before is left as it was.
    """
    with ws.writing() as session:
        story, run, link = _find_link(session, key, run_id)
        if link is None or not link.active:
            raise UserError(f"run {run.run_id} is not linked to {story.key}")
        now = ws.now()
        link.active, link.actor = False, ws.actor
        session.add(link)
        session.add(
            StoryEvent(story_id=story.id, at=now, actor=ws.actor, field="run", old=run.run_id)
        )
        tag = None
        if _writes_tag(ws, write_tag):
            if _tag_of(run) == story.key:
                tag = _want_tag(session, run, None, now)
            else:
                session.execute(
                    delete(PendingTag).where(
                        col(PendingTag.run_pk) == run.id, col(PendingTag.story_key) == story.key
                    )
                )
    return LinkResult(run.tracking_uri, push_tag(ws, tag) if tag else None)


def _writes_tag(ws: Workspace, write_tag: bool | None) -> bool:
    return ws.settings.link_writes_tag if write_tag is None else write_tag


def _tag_of(run: Run) -> str:
    """The story the run's mirrored tag names, as sync reads it."""
    return run.tags.get(STORY_TAG, "").strip().upper()


def _want_tag(session: Session, run: Run, story_key: str | None, now: datetime) -> TagWrite | None:
    """Record, in the caller's transaction, what the run's tag should become; None when the
    mirrored tag already says so and no other wish is pending."""
    pending = session.exec(select(PendingTag).where(PendingTag.run_pk == run.id)).first()
    if pending is None and _tag_of(run) == (story_key or ""):
        return None
    pending = pending or PendingTag(run_pk=run.id or 0, requested_at=now)
    pending.story_key, pending.requested_at = story_key, now
    session.add(pending)
    return TagWrite(run.id or 0, run.run_id, run.tracking_uri, story_key)


def push_tag(ws: Workspace, tag: TagWrite, store: TrackingStore | None = None) -> str | None:
    """Write one tag to MLflow, outside any transaction; None when done, else why not.

    Success clears the pending tag (unless a newer wish replaced it meanwhile) and updates the
    mirrored tags, so an unlink later knows the tag is there.
    """
    try:
        (store or TrackingStore(tag.tracking_uri)).set_story_tag(tag.run_id, tag.story_key)
    except UserError as error:  # unreachable, refused, or the store is not one mlboard opens
        return error.message
    with ws.writing() as session:
        cleared = session.execute(
            delete(PendingTag).where(
                col(PendingTag.run_pk) == tag.run_pk,
                col(PendingTag.story_key).is_(None)
                if tag.story_key is None
                else col(PendingTag.story_key) == tag.story_key,
            )
        )
        run = session.get(Run, tag.run_pk)
        if cleared.rowcount and run is not None:
            tags = {k: v for k, v in run.tags.items() if k != STORY_TAG}
            run.tags = tags if tag.story_key is None else {**tags, STORY_TAG: tag.story_key}
            session.add(run)
    return None


def pending_tags(ws: Workspace, tracking_uri: str) -> list[TagWrite]:
    """The tag writes of `tracking_uri` that have not reached MLflow, oldest wish first."""
    with ws.reading() as session:
        rows = session.exec(
            select(PendingTag.run_pk, Run.run_id, PendingTag.story_key)
            .join(Run, col(Run.id) == col(PendingTag.run_pk))
            .where(Run.tracking_uri == tracking_uri)
            .order_by(col(PendingTag.requested_at), col(PendingTag.id))
        ).all()
    return [TagWrite(run_pk, run_id, tracking_uri, key) for run_pk, run_id, key in rows]


def retry_pending_tags(ws: Workspace, store: TrackingStore) -> int:
    """Try the pending tag writes of the store's URI again; returns how many are still pending."""
    for tag in pending_tags(ws, store.uri):
        push_tag(ws, tag, store)
    return len(pending_tags(ws, store.uri))
