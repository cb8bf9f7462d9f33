"""How a story looks on the board: a few lines of styled, always-literal text."""

from __future__ import annotations

from textual.content import Content

from mlboard.services.stories import StoryView

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


def render_card(story: StoryView) -> Content:
    """Key, kind and points; the title; then owner, target and the blocked marker.

    Built with `Content.assemble`, which takes text literally: a title like `[red]x` is shown as
    typed and control characters are stripped.
    """
    first = Content.assemble(
        (story.key, "bold"),
        "  ",
        (story.kind, KIND_STYLES.get(story.kind, "")),
        "  ",
        (_points(story.points), "$text-muted"),
    )
    details: list[str | tuple[str, str]] = []
    if story.assignee:
        details.append((f"@{story.assignee}", "$text-primary"))
    if story.target:
        details += ["  " if details else "", (f"◎ {story.target}", "$text-muted")]
    lines = [first, Content(story.title)]
    if details:
        lines.append(Content.assemble(*details))
    if story.blocked:
        lines.append(
            Content.assemble(("⊘ blocked: ", "bold $error"), (story.blocked_reason, "$error"))
        )
    return Content("\n").join(lines)
