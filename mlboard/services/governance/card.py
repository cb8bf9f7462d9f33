"""A model card as plain data: its sections, and what the board could not tell (its TODOs).

Built by `model_card.py` from the board's records, written out by `model_card_markdown.py`
(Markdown) or `as_json` (JSON); both forms read this one structure, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTIONS = ("model_details", "intended_use", "training_data", "evaluation", "considerations")


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
            **{name: self.sections[name] for name in SECTIONS},
            "todo": [f"{s}: {m}" for s in SECTIONS for m in self.todo.get(s, [])],
            "generated_at": self.generated_at,
        }
