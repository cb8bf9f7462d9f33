"""How a story looks on the board: a few lines of styled, always-literal text.

A card is a pure function of the story and its facts (best run against target, warnings,
GPU-hours, the newest model version, data blockers, Definition-of-Done gates, inherited
sensitivity), so the board fetches the facts of the whole sprint in one read and re-renders any
card without touching the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from mlboard.services.stories.board import CardFacts
from mlboard.services.stories.view import StoryView
from mlboard.tui.text import one_line

if TYPE_CHECKING:
    from mlboard.services.experiments.runs import ModelVersionView
    from mlboard.services.governance.evidence import Evidence

KIND_STYLES = {
    "experiment": "$accent",
    "research": "$accent",
    "data": "$warning",
    "model": "$success",
    "deploy": "$success",
    "infra": "$secondary",
    "bug": "$error",
}


def _points(points: float | None) -> str:
    return "? pts" if points is None else f"{points:g} pts"


def metric_value(value: float) -> str:
    """A metric as a card or table cell shows it: three significant digits, no exponent noise."""
    return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"


def target_progress(story: StoryView, evidence: Evidence | None) -> list[str | tuple[str, str]]:
    """`◎ val_auc 0.87/0.86 ✓` once a run reports the metric, else the target itself."""
    target = story.target
    if target is None:
        return []
    if evidence is None or evidence.best_value is None:
        return [(f"◎ {target}", "$text-muted")]
    reached = f"◎ {target.metric} {metric_value(evidence.best_value)}/{metric_value(target.value)}"
    if evidence.target_met:
        return [(reached, "$success"), (" ✓", "bold $success")]
    return [(reached, "$warning")]


def hours(value: float) -> str:
    """GPU-hours as a card shows them: one decimal below 100, whole hours above."""
    return f"{value:.1f}" if abs(value) < 100 else f"{value:,.0f}"


def gpu_budget(evidence: Evidence | None) -> list[str | tuple[str, str]]:
    """`⚡ 12.5/40 GPU-h` for a story with a GPU budget; in $error once over it."""
    compute = evidence.compute if evidence else None
    if compute is None or compute.gpu_hours_budget is None:
        return []
    text = f"⚡ {hours(compute.gpu_hours_used)}/{compute.gpu_hours_budget:g} GPU-h"
    return [(text, "bold $error" if compute.over_budget else "$text-muted")]


def model_badge(model: ModelVersionView | None) -> list[str | tuple[str, str]]:
    """`◈ fraud-detector v3 @champion`: the newest version the story's runs registered."""
    if model is None:
        return []
    badge: list[str | tuple[str, str]] = [
        (f"◈ {one_line(model.name, 28)} v{model.version}", "$accent")
    ]
    if model.aliases:
        aliases = one_line(" ".join(f"@{alias}" for alias in model.aliases), 28)
        badge.append((f" {aliases}", "bold $accent"))
    return badge


SENSITIVE = {"personal": "◆ personal data", "special_category": "◆ special-category data"}


def render_card(story: StoryView, facts: CardFacts | None = None) -> Content:
    """Key, kind and points; the title; owner, target progress and warnings; GPU-hours against
    the budget and the newest model version; then blockers.

    Built with `Content.assemble`, which takes text literally: a title like `[red]x` is shown as
    typed and control characters are stripped.
    """
    facts = facts or CardFacts()
    evidence = facts.evidence
    first = Content.assemble(
        (story.key, "bold"),
        "  ",
        (story.kind, KIND_STYLES.get(story.kind, "")),
        "  ",
        (_points(story.points), "$text-muted"),
        *([("  ", ""), (SENSITIVE[facts.sensitivity], "$warning")]
          if facts.sensitivity in SENSITIVE else []),
    )  # fmt: skip
    details: list[str | tuple[str, str]] = []
    if story.assignee:
        details.append((f"@{story.assignee}", "$text-primary"))
    progress = target_progress(story, evidence)
    if progress:
        details += ["  " if details else "", *progress]
    if evidence is not None and evidence.warning_count:
        details += ["  " if details else "", (f"⚠ {evidence.warning_count}", "bold $warning")]
    lines = [first, Content.assemble(story.title)]
    if details:
        lines.append(Content.assemble(*details))
    compute, model = gpu_budget(evidence), model_badge(facts.model)
    if compute or model:
        lines.append(Content.assemble(*compute, "  " if compute and model else "", *model))
    if story.blocked:
        lines.append(
            Content.assemble(("⊘ blocked: ", "bold $error"), (story.blocked_reason, "$error"))
        )
    if facts.data_blockers:
        lines.append(
            Content.assemble(
                ("⛁ blocked by data: ", "bold $error"), (one_line(facts.data_blockers[0]), "$error")
            )
        )
    if story.status == "review" and facts.gates_missing:
        missing = ", ".join(facts.gates_missing)
        lines.append(Content.assemble(("☐ before done: ", "bold $warning"), (missing, "$warning")))
    return Content("\n").join(lines)
