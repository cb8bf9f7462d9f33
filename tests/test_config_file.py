"""The config file's model speaks mlboard's words: whatever a file holds at whatever key, a mistake
is one line naming the file and the key, exit 2 — never pydantic's report — and the mistake told
first, when a file holds several, is the same one every time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlboard.config import load_settings
from mlboard.errors import UserError

import toml_writer
from cli_runs import where_in

# Every key a user can write, nested ones dotted, and a misspelt one at each level.
KEYS = [
    "database", "key_prefix", "user", "tracking_uri", "standup_time", "link_writes_tag",
    "timezone", "alerts_open_stories", "keymap", "done", "plateau",
    "done.sensitive_kinds", "done.sensitive_levels", "done.sensitive_items",
    "done.experiment_needs_run", "done.target_needs_met_or_accepted", "done.kinds",
    "done.kinds.deploy", "plateau.patience", "plateau.min_delta", "plateau.min_delta_fraction",
    "keymap.move_next",
    "databse", "done.sign_off", "plateau.patiance", "keymap.warp",
]  # fmt: skip
# Values no setting takes: a date-time, a table where a value belongs, a list of mixed things.
NO_SETTING_TAKES = ["1979-05-27T07:32:00Z", "{ nested = [1, {}] }", "[[1], 'x', 2.5]"]
PYDANTIC_WORDS = ("validation error", "Input should", "pydantic", "Value error")


def config_text(key: str, value: str, pyproject: bool) -> str:
    """`key = value` in its table: `[done.kinds]` holds `deploy`; top-level keys in
    `[tool.mlboard]` of a pyproject.toml."""
    *tables, name = key.split(".")
    section = ".".join(["tool", "mlboard", *tables] if pyproject else tables)
    return (f"[{section}]\n" if section else "") + f"{name} = {value}\n"


@pytest.mark.parametrize("pyproject", [False, True], ids=["mlboard.toml", "pyproject.toml"])
@pytest.mark.parametrize("value", NO_SETTING_TAKES)
@pytest.mark.parametrize("key", KEYS)
def test_any_wrong_value_at_any_key_is_one_line_in_mlboards_words(
    tmp_path: Path, key: str, value: str, pyproject: bool, monkeypatch, capsys
) -> None:
    folder = tmp_path.resolve()
    config = folder / ("pyproject.toml" if pyproject else "mlboard.toml")
    config.write_text(config_text(key, value, pyproject), encoding="utf-8")

    code, out, err = where_in(folder, monkeypatch, capsys)

    location = f"{config} [tool.mlboard]" if pyproject else str(config)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {location}: ")
    assert len(err.strip().splitlines()) == 1
    assert f"'{key.split('.')[0]}" in err  # the key, or the table it is in
    assert not any(words in err for words in PYDANTIC_WORDS), err


# Any TOML value the writer can write, nested a little.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
VALUES = st.recursive(
    st.integers(-3, 3) | st.floats(-2, 2) | st.booleans() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.dictionaries(st.sampled_from(KEYS), VALUES, min_size=1, max_size=3))
def test_any_file_loads_or_is_refused_in_one_line_naming_one_of_its_keys(
    tmp_path_factory: pytest.TempPathFactory, entries: dict[str, object]
) -> None:
    folder = tmp_path_factory.mktemp("config")
    table: dict[str, object] = {}
    for key, value in entries.items():
        *tables, name = key.split(".")
        place = table
        for part in tables:
            if part not in place:
                place[part] = {}
            # a key under a name already given a plain value is left out of the file
            place = place[part] if isinstance(place[part], dict) else {}
        place[name] = value
    config = folder / "mlboard.toml"
    config.write_text(toml_writer.document(table), encoding="utf-8")
    try:
        load_settings(cwd=folder, environ={}, require_trust=False)
    except UserError as error:
        assert error.message.startswith(f"{config}: ")
        assert "\n" not in error.message
        assert any(f"'{key}" in error.message for key in table), error.message
        assert not any(words in error.message for words in PYDANTIC_WORDS), error.message


@pytest.mark.parametrize(
    ("content", "told"),
    [
        ('user = ""\ndatabase = " "\n', "'user' is empty"),
        ('database = " "\nuser = ""\n', "'database' is empty"),
        ('done = { sensitive_kinds = ["paperwork"] }\nuser = ""\n', "'user' is empty"),
        ('[done]\nsensitive_kinds = ["paperwork"]\n[keymap]\nwarp = "w"\n', "'keymap.warp'"),
        ('[done]\nsensitive_kinds = ["paperwork"]\nsign_off = true\n', "'done.sign_off'"),
        ('[done]\nsensitive_levels = ["secret"]\nkinds = 3\n', "'done.kinds' must be a table"),
        ('[done]\nsensitive_levels = ["secret"]\nsensitive_kinds = ["x"]\n', "'done.sensitive_k"),
        ('[done]\nsensitive_items = ["target_met"]\nkinds = {bug = [1]}\n', "'done.kinds.bug'"),
        ('[done.kinds]\nspaceship = "plan"\n', "'done.kinds' has 'spaceship'"),
        ("[plateau]\nmin_delta = -1\npatience = 0\n", "'plateau.min_delta'"),
        ("[plateau]\npatience = 0\n[done]\nsign_off = true\n", "'done.sign_off'"),
        ('[keymap]\nwarp = "w"\nmove_next = 1\n', "'keymap' must map binding ids to keys"),
        ('[keymap]\nmove_next = ""\nwarp = "w"\n', "'keymap.move_next' has an empty key"),
    ],
)
def test_of_several_mistakes_the_same_one_is_told_first(
    tmp_path: Path, content: str, told: str
) -> None:
    """The top-level keys in the file's order, then `[done]` (an unknown or mistyped key before
    a bad value; each kind's items before the lists), then `[plateau]`."""
    (tmp_path / "mlboard.toml").write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as refused:
        load_settings(cwd=tmp_path, environ={}, require_trust=False)
    assert told in refused.value.message
