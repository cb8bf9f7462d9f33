"""Sensitivity follows data: a story is as sensitive as the most sensitive data it touches.

A story carries its own label, but the data decides: the pipelines it depends on and the
datasets its runs logged (MLflow `log_input`, mirrored by the sync) each carry a label too, and
the story's effective label is the highest of them all. Gates, model cards and the board read
the effective label, so relabelling a dataset is enough to put every model trained on it under
the Definition-of-Done rules for personal data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlboard.domain import Sensitivity, parse_choice
from mlboard.errors import UserError
from mlboard.services.experiments.runs import story_runs
from mlboard.services.workspace import Workspace
from mlboard.store import audit
from mlboard.store.tables import Dataset, Pipeline, RunDataset, Story, StoryPipeline

ORDER = [level.value for level in Sensitivity]


def rank(level: str) -> int:
    """Position in `none < internal < personal < special_category`; unknown text counts as none."""
    return ORDER.index(level) if level in ORDER else 0


def higher(a: str, b: str) -> str:
    return a if rank(a) >= rank(b) else b


def parse_level(text: str) -> str:
    try:
        return parse_choice(Sensitivity, text, "sensitivity").value
    except ValueError as error:
        raise UserError(str(error)) from None


def known_level(text: str) -> str | None:
    """A label read from a tag, or None: a typo in training code must not stop a sync."""
    try:
        return parse_choice(Sensitivity, text, "sensitivity").value if text.strip() else None
    except ValueError:
        return None


def effective_sensitivity(
    session: Session, story_ids: Iterable[int]
) -> dict[int, tuple[str, list[str]]]:
    """Story id -> (highest label, the sources that carry it).

    Sources read like `story`, `pipeline warehouse/churn_features`, `dataset churn-train`; only
    those at the effective level are listed (they are why the story is at that level). A story
    whose labels are all `none` gets `("none", [])`.
    """
    ids = list(story_ids)
    if not ids:
        return {}
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for story_id, level in session.exec(
        select(Story.id, Story.sensitivity).where(col(Story.id).in_(ids))
    ):
        found[story_id].append((level, "story"))
    for story_id, namespace, name, level in session.exec(
        select(StoryPipeline.story_id, Pipeline.namespace, Pipeline.name, Pipeline.sensitivity)
        .join(Pipeline, col(Pipeline.id) == col(StoryPipeline.pipeline_id))
        .where(col(StoryPipeline.story_id).in_(ids))
    ):
        found[story_id].append((level, f"pipeline {namespace}/{name}"))
    runs = story_runs(session, ids)
    owners: dict[int, set[int]] = defaultdict(set)
    for story_id, story_run_list in runs.items():
        for run in story_run_list:
            owners[run.id or 0].add(story_id)
    if owners:
        for run_pk, name, level in session.exec(
            select(RunDataset.run_pk, Dataset.name, Dataset.sensitivity)
            .join(Dataset, col(Dataset.id) == col(RunDataset.dataset_id))
            .where(col(RunDataset.run_pk).in_(list(owners)))
        ):
            for story_id in owners[run_pk]:
                found[story_id].append((level, f"dataset {name}"))
    result = {}
    for story_id in ids:
        labels = found.get(story_id, [])
        top = max((level for level, _ in labels), key=rank, default=Sensitivity.NONE.value)
        sources = [] if rank(top) == 0 else [s for level, s in labels if rank(level) == rank(top)]
        result[story_id] = (ORDER[rank(top)], list(dict.fromkeys(sources)))
    return result


def story_sensitivity(ws: Workspace, key: str) -> tuple[str, list[str]]:
    """The effective label of one story and where it comes from."""
    from mlboard.services.stories.lookup import find_story

    with ws.reading() as session:
        story = find_story(session, key)
        return effective_sensitivity(session, [story.id or 0])[story.id or 0]


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A dataset (all its versions, by name) as `dataset list` shows it."""

    name: str
    sensitivity: str
    versions: int
    runs: int
    source: str
    source_type: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sensitivity": self.sensitivity,
            "versions": self.versions,
            "runs": self.runs,
            "source": self.source,
            "source_type": self.source_type,
        }


def list_datasets(ws: Workspace) -> list[DatasetView]:
    """Datasets by name; a name's label is the highest of its versions (digests)."""
    with ws.reading() as session:
        rows = session.exec(select(Dataset).order_by(col(Dataset.name), col(Dataset.id))).all()
        used = dict(
            session.exec(
                select(Dataset.name, func.count(func.distinct(RunDataset.run_pk)))
                .join(RunDataset, col(RunDataset.dataset_id) == col(Dataset.id))
                .group_by(col(Dataset.name))
            ).all()
        )
    by_name: dict[str, list[Dataset]] = defaultdict(list)
    for row in rows:
        by_name[row.name].append(row)
    views = []
    for name, versions in by_name.items():
        latest = versions[-1]
        level = max((v.sensitivity for v in versions), key=rank)
        views.append(
            DatasetView(
                name, level, len(versions), used.get(name, 0), latest.source, latest.source_type
            )
        )
    return views


def label_dataset(ws: Workspace, name: str, level: str) -> tuple[str, str]:
    """Label every version of a dataset; returns (old label, new label).

    Datasets are mirrored from MLflow, so they are not audited at flush like the board's own
    rows; a label is a person's decision, so it is appended to the audit trail here.
    """
    new = parse_level(level)
    with ws.writing() as session:
        versions = session.exec(select(Dataset).where(Dataset.name == name)).all()
        if not versions:
            known = sorted(set(session.exec(select(Dataset.name)).all()))
            hint = f"known: {', '.join(known)}" if known else "none synced yet: run mlboard sync"
            raise UserError(f"dataset {name!r} not found ({hint})")
        old = max((v.sensitivity for v in versions), key=rank)
        changed = [v for v in versions if v.sensitivity != new]
        for version in changed:
            version.sensitivity = new
            session.add(version)
        if changed:
            session.flush()
            audit.append(
                session,
                [
                    {
                        "at": ws.now(),
                        "actor": ws.actor,
                        "action": "update",
                        "entity": "dataset",
                        "key": name,
                        "before": {"sensitivity": old},
                        "after": {"sensitivity": new},
                    }
                ],
            )
    return old, new
