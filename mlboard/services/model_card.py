"""Model cards from what the board knows, with every gap marked TODO instead of invented.

The sections follow Google's Model Card Toolkit and Hugging Face's annotated model card: model
details, intended use, training data, evaluation, considerations. Each fact comes from a record
someone can check — the registry version, its run, the story the run is evidence for, the
story's checklist, the datasets the run logged, drift reports — so a card is only as complete
as the team's records, and its TODOs say which record is missing. A card that invents a
sentence is worse than none: auditors read it as a claim.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from mlboard.domain import format_number, iso, parse_target
from mlboard.errors import UserError
from mlboard.services.experiments import run_views
from mlboard.services.sensitivity import effective_sensitivity, higher
from mlboard.services.workspace import Workspace
from mlboard.store.tables import (
    ChecklistItem,
    Dataset,
    DriftReport,
    Member,
    ModelVersion,
    Pipeline,
    Run,
    RunDataset,
    Story,
    StoryPipeline,
)
from mlboard.wording import plural

CHAMPION = "champion"
ARTIFACT_FILE = "model_card.md"
_SECTIONS = ("model_details", "intended_use", "training_data", "evaluation", "considerations")


@dataclass
class ModelCard:
    """A generated card: its sections as plain data, and what the board could not tell."""

    name: str
    version: int
    tracking_uri: str
    run_id: str | None
    story: str | None
    generated_at: str
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    todo: dict[str, list[str]] = field(default_factory=dict)

    def gap(self, section: str, message: str) -> None:
        self.todo.setdefault(section, []).append(message)

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `model card --format json`: the sections, then `todo`."""
        return {
            **{name: self.sections[name] for name in _SECTIONS},
            "todo": [f"{s}: {m}" for s in _SECTIONS for m in self.todo.get(s, [])],
            "generated_at": self.generated_at,
        }

    def as_markdown(self) -> str:
        """The card as a Markdown document (what `--log-to-run` stores as model_card.md)."""
        from mlboard.services.model_card_markdown import render

        return render(self)


def build_model_card(
    ws: Workspace, name: str, version: int | None = None, alias: str | None = None
) -> ModelCard:
    """The card of one registered version: `version`, else `alias`, else champion, else latest."""
    with ws.reading() as session:
        chosen = _choose_version(session, name, version, alias)
        run = (
            session.exec(select(Run).where(Run.run_id == chosen.run_id)).first()
            if chosen.run_id
            else None
        )
        stories = _stories_of(session, run)
        story = stories[0] if stories else None
        card = ModelCard(
            name=chosen.name,
            version=chosen.version,
            tracking_uri=chosen.tracking_uri,
            run_id=chosen.run_id,
            story=story.key if story else None,
            generated_at=ws.now().isoformat(),
        )
        checks = _checklist(session, story)
        _details(session, card, chosen, run, story, stories)
        _intended_use(card, story)
        _training_data(session, card, run, story)
        _evaluation(session, card, run, story, checks)
        _considerations(card, story, checks)
    return card


def _choose_version(
    session: Session, name: str, version: int | None, alias: str | None
) -> ModelVersion:
    rows = session.exec(
        select(ModelVersion)
        .where(ModelVersion.name == name)
        .order_by(col(ModelVersion.version).desc(), col(ModelVersion.updated_at).desc())
    ).all()
    if not rows:
        names = sorted(set(session.exec(select(ModelVersion.name)).all()))
        known = f"models: {', '.join(names)}" if names else "no models synced: run mlboard sync"
        raise UserError(f"model {name!r} not found ({known})")
    if version is not None and alias is not None:
        raise UserError("give --version or --alias, not both")
    if version is not None:
        found = [row for row in rows if row.version == version]
        if not found:
            versions = ", ".join(str(v) for v in sorted({row.version for row in rows}))
            raise UserError(f"model {name!r} has no version {version} (versions: {versions})")
        return found[0]
    if alias is not None:
        found = [row for row in rows if alias in row.aliases]
        if not found:
            aliases = sorted({a for row in rows for a in row.aliases})
            known = f"aliases: {', '.join(aliases)}" if aliases else "it has no aliases"
            raise UserError(f"model {name!r} has no alias {alias!r} ({known})")
        return found[0]
    return next((row for row in rows if CHAMPION in row.aliases), rows[0])


def _stories_of(session: Session, run: Run | None) -> list[Story]:
    """Stories the run is evidence for: its own links, else those of its parent run."""
    if run is None:
        return []
    keys = list(run_views(session, [run])[0].stories)
    if not keys and run.parent_run_id:
        parent = session.exec(select(Run).where(Run.run_id == run.parent_run_id)).first()
        keys = list(run_views(session, [parent])[0].stories) if parent else []
    if not keys:
        return []
    stories = session.exec(select(Story).where(col(Story.key).in_(keys))).all()
    return sorted(stories, key=lambda story: story.number)


def _checklist(session: Session, story: Story | None) -> dict[str, dict[str, Any]]:
    if story is None:
        return {}
    rows = session.exec(select(ChecklistItem).where(ChecklistItem.story_id == story.id)).all()
    return {
        row.item: {"by": row.actor, "at": row.at.isoformat(), "note": row.note or None,
                   "link": row.link or None}
        for row in rows
    }  # fmt: skip


def _details(
    session: Session,
    card: ModelCard,
    chosen: ModelVersion,
    run: Run | None,
    story: Story | None,
    stories: list[Story],
) -> None:
    owners = []
    member = session.get(Member, story.assignee_id) if story and story.assignee_id else None
    if member is not None:
        owners.append(
            {"handle": member.handle, "name": member.name, "contact": member.email or None,
             "role": f"assignee of {story.key}"}  # type: ignore[union-attr]
        )  # fmt: skip
    if run is not None and run.user and (member is None or run.user != member.handle):
        owners.append(
            {"handle": run.user, "name": None, "contact": None, "role": "ran the training run"}
        )
    section = "model_details"
    card.sections[section] = {
        "name": chosen.name,
        "version": chosen.version,
        "aliases": list(chosen.aliases),
        "status": chosen.status or None,
        "description": chosen.description or None,
        "created_at": iso(chosen.created_at),
        "source": chosen.source or None,
        "tracking_uri": chosen.tracking_uri,
        "owners": owners,
        "story": (
            {"key": story.key, "title": story.title, "kind": story.kind, "status": story.status}
            if story
            else None
        ),
        "other_stories": [s.key for s in stories[1:]],
        "run": (
            {"run_id": run.run_id, "run_name": run.run_name or None,
             "experiment": run.experiment_name or run.experiment_id, "user": run.user or None,
             "status": run.status, "start": iso(run.start_time),
             "end": iso(run.end_time)}
            if run else None
        ),
    }  # fmt: skip
    if not chosen.description:
        card.gap(section, "no description of this version in the model registry")
    if not owners:
        card.gap(section, "no owners: the story has no assignee and the run no user")
    if chosen.run_id is None:
        card.gap(section, "the registered version names no run")
    elif run is None:
        card.gap(section, f"run {chosen.run_id} is not on the board (run mlboard sync)")
    if run is not None and story is None:
        card.gap(section, f"run {run.run_id} is linked to no story (mlboard story link KEY RUN)")


def _intended_use(card: ModelCard, story: Story | None) -> None:
    section = "intended_use"
    card.sections[section] = {
        "story": story.key if story else None,
        "summary": story.title if story else None,
        "description": (story.description or None) if story else None,
    }
    if story is None:
        card.gap(section, "no story says what this model is for")
    elif not story.description.strip():
        card.gap(section, f"{story.key} has no description of the intended use and users")
    card.gap(section, "out-of-scope uses are not recorded on the board; state them")


def _training_data(session: Session, card: ModelCard, run: Run | None, story: Story | None) -> None:
    section = "training_data"
    pks = [run.id] if run is not None else []
    if run is not None and run.parent_run_id:
        parent = session.exec(select(Run.id).where(Run.run_id == run.parent_run_id)).first()
        pks += [parent] if parent else []
    datasets = [
        {"name": d.name, "digest": d.digest or None, "source": d.source or None,
         "source_type": d.source_type or None, "context": rd.context or None,
         "sensitivity": d.sensitivity}
        for rd, d in session.exec(
            select(RunDataset, Dataset)
            .join(Dataset, col(Dataset.id) == col(RunDataset.dataset_id))
            .where(col(RunDataset.run_pk).in_(pks))
            .order_by(col(Dataset.name))
        )
    ]  # fmt: skip
    pipelines = []
    if story is not None:
        pipelines = [
            {"name": f"{p.namespace}/{p.name}", "sensitivity": p.sensitivity}
            for p in session.exec(
                select(Pipeline)
                .join(StoryPipeline, col(StoryPipeline.pipeline_id) == col(Pipeline.id))
                .where(StoryPipeline.story_id == story.id)
                .order_by(col(Pipeline.name))
            )
        ]
    if story is not None:
        level, sources = effective_sensitivity(session, [story.id or 0])[story.id or 0]
    else:
        level, sources = "none", []
        for d in datasets:
            level = higher(d["sensitivity"], level)
        sources = [f"dataset {d['name']}" for d in datasets if d["sensitivity"] == level != "none"]
    card.sections[section] = {
        "datasets": datasets,
        "pipelines": pipelines,
        "sensitivity": level,
        "sensitivity_sources": sources,
    }
    if not datasets:
        card.gap(section, "the run logged no datasets (mlflow.log_input) — which data trained it?")
    if level == "none":
        card.gap(section, "no sensitivity label on the story, its pipelines or its datasets")


def _evaluation(
    session: Session,
    card: ModelCard,
    run: Run | None,
    story: Story | None,
    checks: dict[str, dict[str, Any]],
) -> None:
    section = "evaluation"
    metrics = {k: v for k, v in sorted((run.metrics if run else {}).items()) if v is not None}
    target = parse_target(story.target) if story and story.target else None
    value = metrics.get(target.metric) if target else None
    drift = session.exec(
        select(DriftReport)
        .where(DriftReport.model_name == card.name)
        .order_by(col(DriftReport.created_at).desc())
        .limit(5)
    ).all()
    card.sections[section] = {
        "metrics": metrics,
        "datasets": [
            d["name"]
            for d in card.sections["training_data"]["datasets"]
            if "evaluation" in (d["context"] or "")
        ],
        "target": target.as_json() if target else None,
        "target_value": value,
        "target_met": target.is_met(value) if target and value is not None else None,
        "accepted_below_target": checks.get("accepted_below_target"),
        "drift_reports": [
            {"created_at": r.created_at.isoformat(), "reference": r.reference,
             "current": r.current, "drift_share": r.drift_share,
             "dataset_drift": r.dataset_drift,
             "drifted_columns": sum(1 for c in r.columns if c.get("drifted"))}
            for r in drift
        ],
    }  # fmt: skip
    if not metrics:
        card.gap(section, "the run logged no metrics")
    if target is None:
        card.gap(section, "no target: the story does not say what good enough is")
    elif value is None:
        card.gap(section, f"the run has no value of the target metric {target.metric}")
    if not card.sections[section]["datasets"]:
        card.gap(section, "no evaluation dataset logged (mlflow.log_input context='evaluation')")
    if not drift:
        card.gap(section, f"no drift report for {card.name} (mlboard drift check --model NAME)")


def _considerations(card: ModelCard, story: Story | None, checks: dict[str, Any]) -> None:
    section = "considerations"
    evaluation = card.sections["evaluation"]
    limitations = []
    if evaluation["target_met"] is False:
        target = parse_target(story.target or "") if story else None
        limitations.append(
            f"does not meet its target {target} ({target.metric if target else ''} = "
            f"{format_number(evaluation['target_value'])})"
        )
    accepted = checks.get("accepted_below_target")
    if accepted and accepted["note"]:
        limitations.append(f"accepted below target by {accepted['by']}: {accepted['note']}")
    card.sections[section] = {
        "bias_evaluation": checks.get("bias_evaluation"),
        "privacy_review": checks.get("privacy_review"),
        "approval": checks.get("approval"),
        "limitations": limitations,
        "sensitivity": card.sections["training_data"]["sensitivity"],
    }
    where = f"{story.key}'s checklist" if story else "a story checklist"
    if "bias_evaluation" not in checks:
        card.gap(section, f"no bias/fairness evaluation on {where}")
    elif not checks["bias_evaluation"]["note"] and not checks["bias_evaluation"]["link"]:
        card.gap(section, "the bias/fairness evaluation is checked without a note or link")
    if "privacy_review" not in checks:
        card.gap(section, f"no privacy review on {where}")
    if "approval" not in checks:
        card.gap(section, f"no approval on {where}")
    if not limitations:
        card.gap(section, "no limitations recorded: where should this model not be trusted?")


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename."""
    path = path.expanduser()
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror}") from None


def log_card_to_run(card: ModelCard) -> str:
    """Log the Markdown card as `model_card.md` on the version's run; returns its URI."""
    if card.run_id is None:
        raise UserError(f"{card.name} version {card.version} has no run to log the card to")
    from mlboard.integrations.mlflow_sync import TrackingStore

    return TrackingStore(card.tracking_uri).log_text(card.run_id, card.as_markdown(), ARTIFACT_FILE)


def attach_card(ws: Workspace, card: ModelCard, link: str = "") -> str:
    """Check `model_card` on the story's checklist, pointing at the card; returns the story key."""
    from mlboard.services.gates import check_item

    if card.story is None:
        raise UserError(
            f"cannot attach the card: {card.name} version {card.version}'s run is linked to no "
            "story (mlboard story link KEY RUN)"
        )
    gaps = sum(len(items) for items in card.todo.values())
    note = f"model card of {card.name} version {card.version} ({plural(gaps, 'TODO')})"
    check_item(ws, card.story, "model_card", note=note, link=link)
    return card.story
