"""The rules a team may set in its config file — the Definition of Done and when runs have
plateaued — as plain frozen data.

Apart from the loading (`mlboard.config`) and from the file's model (`mlboard.config_file`), so
both build on them without importing each other, and the services read them without pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The Definition-of-Done checklist items every board knows; teams add their own in config.
STANDARD_ITEMS = ("model_card", "bias_evaluation", "privacy_review", "approval")
ACCEPTED_BELOW_TARGET = "accepted_below_target"
# Gates decided by the board's own data, never checked by hand.
COMPUTED_ITEMS = ("linked_run", "target_met")


@dataclass(frozen=True)
class DoneRules:
    """The Definition of Done as data (`[tool.mlboard.done]`): which items gate a move to done.

    Kept as plain data so the rules can be shown (`story gates`), tested and changed by a team
    without touching code; the defaults are the ones a regulated team starts from.
    """

    sensitive_kinds: tuple[str, ...] = ("deploy", "model")
    sensitive_levels: tuple[str, ...] = ("personal", "special_category")
    sensitive_items: tuple[str, ...] = STANDARD_ITEMS
    experiment_needs_run: bool = True
    target_needs_met_or_accepted: bool = True
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def items(self) -> tuple[str, ...]:
        """Every item a person may check: the standard ones and those this team configured."""
        extra = [item for items in self.kinds.values() for item in items]
        return tuple(
            dict.fromkeys((*STANDARD_ITEMS, ACCEPTED_BELOW_TARGET, *self.sensitive_items, *extra))
        )


@dataclass(frozen=True)
class PlateauRules:
    """When a story's runs have stopped paying (`[tool.mlboard.plateau]`; see
    `analytics.plateau`): `patience` runs in a row that moved the best value by less than
    `min_delta` (in the metric's units), or, when that is not set, by less than
    `min_delta_fraction` of the distance from the first run's value to the target."""

    patience: int = 5
    min_delta: float | None = None
    min_delta_fraction: float = 0.01
