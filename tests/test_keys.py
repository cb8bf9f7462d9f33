"""Keys: every screen is one key away from every other, and a keymap cannot silently take a
screen key away (the table of bindings says where each works; the screens are built from it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.screen import ModalScreen
from textual.widgets import Input, TextArea

from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.keymap import APP, DEFAULT_KEYS, DIALOGS, KEYMAP
from mlboard.tui import SCREENS
from mlboard.tui.app import MlboardApp
from mlboard.tui.keys import check_keymap, collisions
from mlboard.tui.screens.board.screen import BoardScreen
from mlboard.tui.screens.data.screen import DataScreen
from mlboard.tui.screens.experiments.run_compare import RunCompareScreen
from mlboard.tui.screens.experiments.run_detail import RunDetailScreen
from mlboard.tui.screens.experiments.screen import ExperimentsScreen
from mlboard.tui.screens.governance.audit import AuditScreen
from mlboard.tui.screens.governance.model_card import ModelCardScreen
from mlboard.tui.screens.governance.screen import ChecklistModal, GovernanceScreen
from mlboard.tui.screens.models.screen import ModelsScreen
from mlboard.tui.screens.planning.charts import ChartsScreen
from mlboard.tui.screens.planning.dialogs import DaysOffScreen, EstimatesScreen
from mlboard.tui.screens.planning.screen import PlanningScreen, StoryList
from mlboard.tui.screens.standup.dialogs import NoteScreen, SaveDigestScreen
from mlboard.tui.screens.standup.screen import StandupScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.screens.stories.story_form import StoryFormScreen
from mlboard.tui.screens.stories.story_picker import StoryPickerScreen
from mlboard.tui.widgets.board_column import CardList
from mlboard.tui.widgets.run_table import RunTable

from processes import child_env

SIZE = (120, 40)
SCREEN_KEYS = {
    "b": "board",
    "x": "experiments",
    "m": "models",
    "p": "planning",
    "u": "standup",
    "d": "data",
    "g": "governance",
    "a": "audit",
}
# The classes whose bindings make up each place of the keymap table.
PLACES = {
    APP: [MlboardApp],
    "board": [BoardScreen, CardList],
    "experiments": [ExperimentsScreen, RunTable],
    "models": [ModelsScreen],
    "planning": [PlanningScreen, StoryList],
    "charts": [ChartsScreen],
    "standup": [StandupScreen],
    "data": [DataScreen],
    "governance": [GovernanceScreen],
    "audit": [AuditScreen],
    "run_detail": [RunDetailScreen],
    "run_compare": [RunCompareScreen],
    "story_detail": [StoryDetailScreen],
    "story_form": [StoryFormScreen],
    "story_picker": [StoryPickerScreen],
    "checklist": [ChecklistModal],
    "model_card": [ModelCardScreen],
    "estimates": [EstimatesScreen],
    "days_off": [DaysOffScreen],
    "save_digest": [SaveDigestScreen],
    "note": [NoteScreen],
}


async def settle(app: MlboardApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("start", SCREENS)
async def test_every_screen_key_switches_from_every_screen_wherever_the_focus_is(
    sample_workspace, start
):
    """From each screen, with each kind of widget it has focused (but a text box, which takes
    letters as text), each screen key opens its screen."""
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await app.switch_mode(start)
        await settle(app, pilot)
        kinds = {type(w): w for w in reversed(app.screen.focus_chain)}  # first of each kind
        places = [w for kind, w in kinds.items() if not issubclass(kind, Input | TextArea)]
        assert places, f"nothing to focus on {start}"
        for widget in places:
            for key, target in SCREEN_KEYS.items():
                await app.switch_mode(start)
                widget.focus()
                await pilot.pause()
                await pilot.press(key)
                await pilot.pause()
                assert app.current_mode == target, f"{key!r} on {start}, {widget} focused"


async def test_the_charts_view_keeps_the_screen_keys(sample_workspace):
    app = MlboardApp(sample_workspace, "planning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, ChartsScreen)
        await pilot.press("d")
        await pilot.pause()
        assert app.current_mode == "data"


# The keymap table and the screens agree


@pytest.mark.parametrize("place", sorted(KEYMAP))
def test_each_place_binds_exactly_the_ids_of_the_table(place):
    bound = {
        binding.id: binding.key for cls in PLACES[place] for binding in cls.__dict__["BINDINGS"]
    }
    assert bound == KEYMAP[place]
    dialog = any(issubclass(cls, ModalScreen) for cls in PLACES[place])
    assert dialog == (place in DIALOGS)  # the app's keys are off exactly in Textual's modals


def test_every_class_with_bindings_is_in_the_table():
    import importlib
    import pkgutil

    import mlboard.tui

    covered = {cls for classes in PLACES.values() for cls in classes}
    found = set()
    for module in pkgutil.walk_packages(mlboard.tui.__path__, "mlboard.tui."):
        for value in vars(importlib.import_module(module.name)).values():
            ours = isinstance(value, type) and value.__module__.startswith("mlboard.")
            if ours and "BINDINGS" in vars(value):
                found.add(value)
    assert found == covered


def test_the_default_keys_never_collide():
    assert collisions({}) == []


def test_one_id_has_the_same_keys_everywhere():
    for bindings in KEYMAP.values():
        for binding_id, keys in bindings.items():
            assert DEFAULT_KEYS[binding_id] == keys, binding_id


def test_no_screen_or_widget_binds_a_screen_key_of_its_own():
    app_keys = set(KEYMAP[APP].values())
    for place, bindings in KEYMAP.items():
        if place not in DIALOGS and place != APP:
            for keys in bindings.values():
                assert not set(keys.split(",")) & app_keys, (place, keys)


# A keymap that takes a key away


def settings_with(tmp_path: Path, keymap: dict[str, str]) -> Settings:
    return Settings(
        database=str(tmp_path / "board.db"),
        database_origin="test",
        keymap=keymap,
        config_file=tmp_path / "pyproject.toml",
    )


@pytest.mark.parametrize(
    ("keymap", "message"),
    [
        (
            {"move_next": "m"},  # the example the README used to give
            "move_next and show_models both use the key 'm' on the Board screen",
        ),
        (
            {"filter": "?"},
            "filter and help both use the key 'question_mark' on the Board screen",
        ),
        ({"show_models": "b"}, "show_models and show_board both use the key 'b' on every screen"),
        ({"show_audit": "A"}, "show_audit and ack_alert both use the key 'A' on the Data screen"),
        ({"run_first": "g"}, "run_first and show_governance both use the key 'g' on the "
                             "Experiments screen"),
        (
            {"uncheck_item": "ctrl+s"},
            "uncheck_item and check_item both use the key 'ctrl+s' in the checklist dialog",
        ),
        (
            {"new_story": "z", "edit_story": "y,z"},
            "new_story and edit_story both use the key 'z' on the Board screen",
        ),
    ],
)  # fmt: skip
def test_a_colliding_keymap_is_refused_naming_both_ids_and_the_key(tmp_path, keymap, message):
    with pytest.raises(UserError) as refused:
        check_keymap(settings_with(tmp_path, keymap))
    assert str(refused.value) == (
        f"{tmp_path / 'pyproject.toml'} [tool.mlboard]: keymap: {message}; give one of them "
        "another key"
    )


@pytest.mark.parametrize(
    "keymap",
    [
        {"move_next": "ctrl+right", "move_previous": "ctrl+left"},
        {"show_models": "M", "model_card": "m"},  # a swap on the Governance screen: fine
        {"show_audit": "A", "ack_alert": "K", "check_alerts": "C"},
    ],
)
def test_a_keymap_that_moves_keys_apart_is_accepted(tmp_path, keymap):
    check_keymap(settings_with(tmp_path, keymap))


def test_the_board_refuses_a_colliding_keymap_before_it_starts(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlboard]\n[tool.mlboard.keymap]\nmove_next = "m"\n', encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", "board.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path.resolve() / 'pyproject.toml'} [tool.mlboard]: keymap: move_next and "
        "show_models both use the key 'm' on the Board screen; give one of them another key"
    ]
    assert not (tmp_path / "board.db").exists()


def test_serve_refuses_a_colliding_keymap_before_it_listens(tmp_path, monkeypatch):
    """Else every browser tab would open on the same one-line error."""
    from typer.testing import CliRunner

    from mlboard.cli import app

    (tmp_path / "mlboard.toml").write_text('[keymap]\nshow_models = "b"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "board.db"), "serve"])
    assert isinstance(result.exception, UserError)
    assert "keymap: show_models and show_board both use the key 'b' on every screen" in str(
        result.exception
    )
    assert not (tmp_path / "board.db").exists()
