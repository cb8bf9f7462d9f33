"""The board's bindings from its keymap table (`mlboard.keymap`), and the check that a
remapped key takes no other binding's place.

Textual applies `[tool.mlboard.keymap]` by binding id (`App.set_keymap`). When a key ends up
with two bindings, the one nearer the focus wins and the other is silently gone: `move_next =
"m"` would take the Models screen away from the Board. `check_keymap` finds every such pair
before the TUI starts, in the places where both bindings are active at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding

from mlboard.config import Settings, config_location
from mlboard.errors import UserError
from mlboard.keymap import APP, DEFAULT_KEYS, DIALOGS, KEYMAP


def bind(binding_id: str, action: str, description: str = "", **options: Any) -> Binding:
    """A Textual binding with its keys from the keymap table, under its id."""
    return Binding(DEFAULT_KEYS[binding_id], action, description, id=binding_id, **options)


@dataclass(frozen=True, slots=True)
class Collision:
    """Two bindings on one key where both are active (`where`: a screen or dialog)."""

    key: str
    first: str
    second: str
    where: str


def _keys(keys: str) -> set[str]:
    """Textual's own names for the keys of a binding (`?` is `question_mark`, `/` `slash`)."""
    return {binding.key for binding in Binding.make_bindings([Binding(keys, "")])}


def collisions(keymap: Mapping[str, str]) -> list[Collision]:
    """Every key given to two bindings that are active together, once the keymap is applied.

    The app's keys are active on each screen (not in dialogs), so a screen binding on one of
    them collides with it; a binding id used on several screens is checked on each.
    """
    found: list[Collision] = []
    for where, bindings in KEYMAP.items():
        shared = () if where in DIALOGS or where == APP else tuple(KEYMAP[APP])
        holder: dict[str, str] = {}
        for binding_id in (*shared, *bindings):
            for key in sorted(_keys(keymap.get(binding_id, DEFAULT_KEYS[binding_id]))):
                other = holder.setdefault(key, binding_id)
                if other != binding_id:
                    found.append(Collision(key, other, binding_id, where))
    return found


def check_keymap(settings: Settings) -> None:
    """Refuse a keymap that gives one key to two bindings, naming both ids, the key and the
    screen: one line and exit code 2, like any other mistake in the config file."""
    keymap = dict(settings.keymap)
    if not keymap:
        return  # the defaults never collide (a test keeps them so)
    for clash in collisions(keymap):
        mine, other = sorted((clash.first, clash.second), key=lambda id_: id_ not in keymap)
        if mine not in keymap:
            continue
        raise UserError(
            f"{config_location(settings.config_file)}: keymap: {mine} and {other} both use "
            f"the key {clash.key!r} {_place(clash.where)}; give one of them another key"
        )


def _place(where: str) -> str:
    if where == APP:
        return "on every screen"
    name = where.replace("_", " ")
    return f"in the {name} dialog" if where in DIALOGS else f"on the {name.title()} screen"
