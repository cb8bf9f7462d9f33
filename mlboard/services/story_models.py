"""The models a story produced: registered versions whose source run counts for the story.

A version counts when the run it was registered from is linked to the story, or is a child of
a linked run (a sweep whose winner was registered) — the same runs as the story's evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TypeVar

from sqlmodel import Session, col, select

from mlboard.services.experiments import ModelVersionView, story_runs, version_views
from mlboard.services.stories import find_story
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ModelVersion

K = TypeVar("K")


def story_model_versions(
    session: Session, story_ids: Iterable[int]
) -> dict[int, list[ModelVersionView]]:
    """Per story, its model versions, newest registration first (then highest version)."""
    runs_of = story_runs(session, story_ids)
    return model_versions_of(
        session, {story_id: {run.run_id for run in runs} for story_id, runs in runs_of.items()}
    )


def model_versions_of(
    session: Session, run_ids_of: Mapping[K, Collection[str]]
) -> dict[K, list[ModelVersionView]]:
    """Per owner (a story, by id or key), the versions registered from its runs (`run_ids_of`),
    newest registration first: one query for all of them, however many owners."""
    run_ids = {run_id for own in run_ids_of.values() for run_id in own}
    if not run_ids:
        return {}
    versions = session.exec(select(ModelVersion).where(col(ModelVersion.run_id).in_(run_ids))).all()
    versions = sorted(
        versions,
        key=lambda v: (v.created_at is None, -(v.created_at.timestamp() if v.created_at else 0),
                       v.name, -v.version),
    )  # fmt: skip
    views = version_views(session, versions)
    return {
        owner: [view for view in views if view.run_id in own] for owner, own in run_ids_of.items()
    }


def story_models(ws: Workspace, key: str) -> list[ModelVersionView]:
    """`models` of `story show`: what the story's runs put in the model registry."""
    with ws.reading() as session:
        story = find_story(session, key)
        return story_model_versions(session, [story.id or 0]).get(story.id or 0, [])
