"""Generated config files: a file of good values loads exactly what it says; a file with a bad
value is refused in one line naming the file and that key; damaged TOML names the file.

The generators write valid TOML (a writer of our own, checked by a round trip) and mostly
usable values, so the interesting outcome — a successful load — is what most examples test;
`test_the_generator_keeps_both_outcomes_common` keeps it that way.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, seed, settings
from hypothesis import strategies as st

from mlboard.config import DoneRules, Settings, load_settings
from mlboard.errors import UserError

import toml_writer

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
NAMES = st.builds(
    str.__add__, st.sampled_from("aZé中"), st.text(st.characters(exclude_categories=("Cs", "Cc")))
)
KINDS = ["experiment", "data", "model", "infra", "deploy", "research", "bug"]
LEVELS = ["none", "internal", "personal", "special_category"]
ITEM = st.builds(str.__add__, st.sampled_from("abcr"), st.text("abcz09_", max_size=10))
BINDINGS = ["move_next", "move_previous", "new_story", "edit_story", "filter", "refresh", "help"]
URIS = {  # as written in the file -> as the settings give it ({folder}: the file's folder)
    "http://mlflow.internal:5000": "http://mlflow.internal:5000",
    "sqlite:///runs.db": "sqlite:///{folder}/runs.db",
    "sqlite:///../shared/runs.db?mode=ro": "sqlite:///{parent}/shared/runs.db?mode=ro",
    "sqlite:////srv/mlflow.db": "sqlite:////srv/mlflow.db",
    "databricks": "databricks",
}
PATHS = st.builds(str.__add__, st.sampled_from("ab9é"), st.text("abxyz019 ._-é/", max_size=12))

GOOD = {
    "database": PATHS | st.sampled_from(["boards/team.db", "/srv/boards/ml.db", "~/ml.db"]),
    "key_prefix": st.builds(str.__add__, st.sampled_from("ADMZ"), st.text("AZ09_", max_size=9)),
    "user": NAMES,
    "tracking_uri": st.sampled_from(list(URIS)) | st.lists(st.sampled_from(list(URIS)), max_size=3),
    "standup_time": st.times().map(lambda moment: moment.strftime("%H:%M")),
    "link_writes_tag": st.booleans(),
    "timezone": st.sampled_from(["UTC", "Europe/Paris", "Pacific/Auckland", "Asia/Kolkata"]),
    "alerts_open_stories": st.booleans(),
    "keymap": st.dictionaries(st.sampled_from(BINDINGS), st.sampled_from(["m", "M", "ctrl+l"])),
    "done": st.fixed_dictionaries(
        {},
        optional={
            "sensitive_kinds": st.lists(st.sampled_from(KINDS), unique=True),
            "sensitive_levels": st.lists(st.sampled_from(LEVELS), unique=True),
            "sensitive_items": st.lists(ITEM, unique=True, max_size=3),
            "experiment_needs_run": st.booleans(),
            "target_needs_met_or_accepted": st.booleans(),
            "kinds": st.dictionaries(
                st.sampled_from(KINDS), st.lists(ITEM, unique=True, max_size=2), max_size=2
            ),
        },
    ),
}
NOT_TEXT = st.integers(-5, 5) | st.booleans() | st.floats(-1e3, 1e3) | st.lists(TEXT, max_size=2)
BAD = {
    "database": NOT_TEXT | st.sampled_from(["", "  ", "a\x00b.db", "~nosuchuser/b.db"]),
    "key_prefix": NOT_TEXT | TEXT.filter(lambda p: not re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", p)),
    "user": NOT_TEXT | st.sampled_from(["", " \t"]),
    "tracking_uri": st.integers() | st.sampled_from(["", ["http://mlflow:5000", " "], [1]]),
    "standup_time": st.integers() | st.sampled_from(["25:00", "12:60", "noon", "9h30", ""]),
    "link_writes_tag": st.sampled_from(["yes", "true", 1, 0, []]),
    "timezone": st.sampled_from(["Mars/Olympus", "UTC+2", "Europe/Pariss", 3, True]),
    "alerts_open_stories": st.sampled_from(["no", 1, [True]]),
    "keymap": st.sampled_from(["vim", [], {"move_next": 1}, {"move_next": ["m"]}]),
    "done": st.sampled_from(
        [
            "strict",
            {"sensitive_kinds": ["paperwork"]},
            {"nosuch": True},
            {"experiment_needs_run": "yes"},
            {"sensitive_items": ["linked_run"]},
            {"kinds": {"model": ["Not Snake"]}},
            {"kinds": {"spaceship": []}},
        ]
    ),
    **{misspelt: TEXT for misspelt in ("databse", "Database", "prefix", "keymaps")},
}


@dataclass(frozen=True)
class Case:
    table: dict[str, object]
    bad: frozenset[str]  # the keys given a value that must be refused
    in_pyproject: bool


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A few settings, each good (five times in six) or bad, sometimes a misspelt one, in
    mlboard.toml or in pyproject.toml."""
    keys = draw(st.lists(st.sampled_from(sorted(GOOD)), unique=True, max_size=4))
    if not draw(st.integers(0, 9)):
        keys.append(draw(st.sampled_from(sorted(BAD.keys() - GOOD.keys()))))
    table, bad = {}, set()
    for key in keys:
        if key in GOOD and draw(st.integers(0, 5)):
            table[key] = draw(GOOD[key])
        else:
            table[key] = draw(BAD[key])
            bad.add(key)
    return Case(table, frozenset(bad), draw(st.booleans()))


def write_case(case: Case, folder: Path) -> Path:
    if case.in_pyproject:
        path = folder / "pyproject.toml"
        text = '[project]\nname = "team"\n\n' + toml_writer.document(case.table, "tool.mlboard")
    else:
        path, text = folder / "mlboard.toml", toml_writer.document(case.table)
    path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path) -> Settings:
    """The settings as the file gives them; trust is another test's matter (test_config_trust)."""
    return load_settings(cwd=folder, environ={}, require_trust=False)


def expected_done(table: dict) -> DoneRules:
    defaults = DoneRules()
    return DoneRules(
        sensitive_kinds=tuple(table.get("sensitive_kinds", defaults.sensitive_kinds)),
        sensitive_levels=tuple(table.get("sensitive_levels", defaults.sensitive_levels)),
        sensitive_items=tuple(table.get("sensitive_items", defaults.sensitive_items)),
        experiment_needs_run=table.get("experiment_needs_run", True),
        target_needs_met_or_accepted=table.get("target_needs_met_or_accepted", True),
        kinds={kind: tuple(items) for kind, items in table.get("kinds", {}).items()},
    )


def assert_loaded_as_written(settings: Settings, table: dict, config: Path) -> None:
    folder = config.parent
    assert settings.config_file == config
    if "database" in table:
        assert settings.database == str((folder / Path(table["database"]).expanduser()).resolve())
        assert settings.database_origin == str(config)
    uris = table.get("tracking_uri", [])
    written = [uris] if isinstance(uris, str) else uris
    assert settings.tracking_uris == tuple(
        URIS[uri].format(folder=folder, parent=folder.parent) for uri in written
    )
    assert settings.key_prefix == table.get("key_prefix", "ML")
    if "user" in table:
        assert settings.actor == table["user"]
    assert settings.standup_time == table.get("standup_time", "09:30")
    assert settings.link_writes_tag is table.get("link_writes_tag", True)
    assert settings.timezone == table.get("timezone")
    assert settings.alerts_open_stories is table.get("alerts_open_stories", False)
    assert dict(settings.keymap) == table.get("keymap", {})
    assert settings.done == expected_done(table.get("done", {}))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.dictionaries(st.sampled_from(sorted(BAD)), GOOD["done"] | TEXT | NOT_TEXT))
def test_the_toml_writer_writes_what_tomllib_reads(table: dict) -> None:
    assert tomllib.loads(toml_writer.document(table)) == table
    assert tomllib.loads(toml_writer.document(table, "tool.mlboard"))["tool"]["mlboard"] == table


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_a_config_loads_what_it_says_or_is_refused_naming_the_bad_key(
    tmp_path: Path, case: Case
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path)).resolve()
    config = write_case(case, folder)
    if not case.bad:
        event("loaded")
        assert_loaded_as_written(load(folder), case.table, config)
        return
    event("refused")
    with pytest.raises(UserError) as refused:
        load(folder)
    message = refused.value.message
    assert message.startswith(str(config))
    assert any(f"'{key}" in message for key in case.bad), (message, case.bad)
    assert "\n" not in message


EDITS = st.sampled_from(["delete", "insert", "swap"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases(), edit=EDITS, where=st.floats(0, 1), char=st.sampled_from('="[]{},\\\n #'))
def test_a_config_with_one_typo_loads_or_names_the_file(
    tmp_path: Path, case: Case, edit: str, where: float, char: str
) -> None:
    """A good file with one character deleted, inserted or swapped: valid TOML is read as any
    file is; invalid TOML is refused in one line naming the file and saying so."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path)).resolve()
    config = write_case(case, folder)
    text = config.read_text(encoding="utf-8")
    at = int(where * (len(text) - 1))
    text = {
        "delete": text[:at] + text[at + 1 :],
        "insert": text[:at] + char + text[at:],
        "swap": text[:at] + text[at + 1 : at + 2] + text[at : at + 1] + text[at + 2 :],
    }[edit]
    config.write_text(text, encoding="utf-8")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        event("invalid TOML")
        with pytest.raises(UserError, match="invalid TOML") as refused:
            load(folder)
        assert refused.value.message.startswith(str(config))
        assert len(refused.value.message.splitlines()) == 1
        return
    event("valid TOML")
    try:
        load(folder)
    except UserError as error:
        assert error.message.startswith(str(config))
        assert "\n" not in error.message


def test_the_generator_keeps_both_outcomes_common(tmp_path: Path) -> None:
    """Over a sample the real loader accepts a quarter to four fifths of the files: a generator
    that drifts back to refusing (almost) everything fails here, not silently. (The seed fixes
    the sample only for a test run alone: Hypothesis's state after other tests shifts it, from
    about a half accepted alone to a third after the rest of this module.)"""
    outcomes: list[bool] = []

    @seed(20261125)
    @settings(max_examples=200, database=None, phases=[Phase.generate])
    @given(case=cases())
    def sample(case: Case) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp_path)).resolve()
        write_case(case, folder)
        try:
            load(folder)
        except UserError:
            outcomes.append(False)
        else:
            outcomes.append(True)

    sample()
    assert len(outcomes) >= 150
    assert 0.25 <= sum(outcomes) / len(outcomes) <= 0.8, sum(outcomes) / len(outcomes)
