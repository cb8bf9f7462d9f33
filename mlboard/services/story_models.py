"""The models a story produced: registered versions whose source run counts for the story.

A version counts when the run it was registered from is linked to the story, or is a child of
a linked run (a sweep whose winner was registered) — the same runs as the story's evidence.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from mlboard.services.experiments import ModelVersionView, story_runs, version_views
from mlboard.services.stories import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ModelVersion


def story_model_versions(
    session: Session, story_ids: Iterable[int]
) -> dict[int, list[ModelVersionView]]:
    """Per story, its model versions, newest registration first (then highest version)."""
    runs_of = story_runs(session, story_ids)
    run_ids = {run.run_id for runs in runs_of.values() for run in runs}
    if not run_ids:
        return {}
    versions = session.exec(select(ModelVersion).where(col(ModelVersion.run_id).in_(run_ids))).all()
    versions = sorted(
        versions,
        key=lambda v: (v.created_at is None, -(v.created_at.timestamp() if v.created_at else 0),
                       v.name, -v.version),
    )  # fmt: skip
    views = version_views(session, versions)
    found = {}
    for story_id, runs in runs_of.items():
        own = {run.run_id for run in runs}
        found[story_id] = [view for view in views if view.run_id in own]
    return found


def story_models(ws: Workspace, key: str) -> list[ModelVersionView]:
    """`models` of `story show`: what the story's runs put in the model registry."""
    with ws.reading() as session:
        story = find_story(session, key)
        return story_model_versions(session, [story.id or 0]).get(story.id or 0, [])
