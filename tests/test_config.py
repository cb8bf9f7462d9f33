"""Settings as a user sets them: the --db flag, MLBOARD_* variables, config files, defaults.

Every call passes `cwd` and an explicit `environ`, so neither the real working directory nor the
real environment can leak in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mlboard.config
from mlboard.config import Settings, load_settings
from mlboard.errors import UserError

from cli_runs import trust_config, where_in

REAL_DEFAULT_DATABASE = mlboard.config.default_database


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.fixture(autouse=True)
def default_db(base: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the real user data folder out of every test (the default creates its folder)."""
    path = base / "data" / "mlboard.db"
    monkeypatch.setattr(mlboard.config, "default_database", lambda: path)
    return path


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def settings(cwd: Path, db: str | None = None, **environ: str) -> Settings:
    return load_settings(db, cwd=cwd, environ=environ)


def config_error(cwd: Path, **environ: str) -> str:
    with pytest.raises(UserError) as info:
        settings(cwd, **environ)
    return str(info.value)


# --- where the database comes from ------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "env", "in_file", "expected", "origin"),
    [
        ("flag.db", "env.db", True, "flag.db", "--db"),
        (None, "env.db", True, "env.db", "MLBOARD_DB"),
        (None, None, True, "FILE", "FILE"),
        (None, None, False, "DEFAULT", "default"),
    ],
    ids=["flag-wins", "env-beats-file", "file-beats-default", "default"],
)
def test_database_precedence(
    base: Path,
    default_db: Path,
    flag: str | None,
    env: str | None,
    in_file: bool,
    expected: str,
    origin: str,
) -> None:
    config = trust_config(
        write(base / "mlboard.toml", 'database = "file.db"\n' if in_file else 'user = "x"\n')
    )
    environ = {"MLBOARD_DB": env} if env else {}

    result = load_settings(flag, cwd=base, environ=environ)

    replacements = {"FILE": str(base / "file.db"), "DEFAULT": str(default_db)}
    assert result.database == replacements.get(expected, expected)
    assert result.database_origin == {"FILE": str(config)}.get(origin, origin)


def test_default_database_without_any_config(base: Path, default_db: Path) -> None:
    result = settings(base)
    assert result.database == str(default_db)
    assert result.database_origin == "default"
    assert result.config_file is None


def test_the_real_default_is_reported_as_default(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlboard.config, "default_database", REAL_DEFAULT_DATABASE)
    # platformdirs reads these on Linux; point them into tmp so nothing real is created.
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg"))
    monkeypatch.setenv("HOME", str(base / "home"))
    result = settings(base)
    assert result.database_origin == "default"
    assert Path(result.database).name == "mlboard.db"
    assert Path(result.database).is_relative_to(base)
    assert not Path(result.database).parent.exists()  # resolving settings creates nothing


def test_an_empty_variable_falls_through_to_the_config_file(base: Path) -> None:
    trust_config(write(base / "mlboard.toml", 'database = "file.db"\n'))
    result = load_settings(None, cwd=base, environ={"MLBOARD_DB": ""})
    assert result.database == str(base / "file.db")


@pytest.mark.parametrize("flag", ["", "  "])
def test_an_empty_db_flag_is_refused_not_replaced_by_another_database(
    base: Path, flag: str
) -> None:
    """`--db "$BOARD"` with BOARD unset must not quietly open the default board."""
    write(base / "mlboard.toml", 'database = "file.db"\n')
    with pytest.raises(UserError, match="--db is empty"):
        load_settings(flag, cwd=base, environ={})


# --- finding the config file ------------------------------------------------------------------


def test_mlboard_toml_is_found_from_a_nested_folder(base: Path) -> None:
    config = trust_config(
        write(base / "project" / "mlboard.toml", 'database = "board.db"\nkey_prefix = "CV"\n')
    )
    nested = base / "project" / "src" / "models" / "vision"
    nested.mkdir(parents=True)

    result = settings(nested)

    assert result.config_file == config
    assert result.database == str(base / "project" / "board.db")
    assert result.database_origin == str(config)
    assert result.key_prefix == "CV"


def test_the_nearest_config_file_wins(base: Path) -> None:
    write(base / "mlboard.toml", 'key_prefix = "OUTER"\n')
    inner = write(base / "team" / "mlboard.toml", 'key_prefix = "INNER"\n')
    assert settings(base / "team").config_file == inner
    assert settings(base / "team").key_prefix == "INNER"


def test_pyproject_tool_mlboard_is_found(base: Path) -> None:
    pyproject = trust_config(
        write(
            base / "pyproject.toml",
            '[project]\nname = "vision"\n\n[tool.mlboard]\ndatabase = "board.db"\nuser = "ana"\n',
        )
    )
    (base / "src").mkdir()

    result = settings(base / "src")

    assert result.config_file == pyproject
    assert result.database == str(base / "board.db")
    assert result.database_origin == str(pyproject)
    assert result.actor == "ana"


def test_pyproject_without_tool_mlboard_is_skipped(base: Path) -> None:
    outer = write(base / "mlboard.toml", 'key_prefix = "TEAM"\n')
    write(
        base / "repo" / "pyproject.toml",
        '[project]\nname = "other"\n\n[tool.ruff]\nline-length = 100\n',
    )
    nested = base / "repo" / "pkg"
    nested.mkdir()

    result = settings(nested)

    assert result.config_file == outer
    assert result.key_prefix == "TEAM"


def test_mlboard_toml_beats_pyproject_in_the_same_folder(base: Path) -> None:
    own = write(base / "mlboard.toml", 'key_prefix = "OWN"\n')
    write(base / "pyproject.toml", '[tool.mlboard]\nkey_prefix = "PY"\n')
    result = settings(base)
    assert result.config_file == own
    assert result.key_prefix == "OWN"


# --- paths and URLs in the config file --------------------------------------------------------


def test_relative_database_is_relative_to_the_config_file_not_the_cwd(base: Path) -> None:
    config = trust_config(write(base / "repo" / "mlboard.toml", 'database = "../team/board.db"\n'))
    cwd = base / "repo" / "deep" / "er"
    cwd.mkdir(parents=True)

    result = settings(cwd)

    assert result.database == str(base / "team" / "board.db")
    assert result.database_origin == str(config)


def test_absolute_and_home_database_paths(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = base / "elsewhere" / "board.db"
    trust_config(write(base / "a" / "mlboard.toml", f'database = "{absolute}"\n'))
    assert settings(base / "a").database == str(absolute)

    monkeypatch.setenv("HOME", str(base / "home"))
    trust_config(write(base / "b" / "mlboard.toml", 'database = "~/boards/ml.db"\n'))
    assert settings(base / "b").database == str(base / "home" / "boards" / "ml.db")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///relative.db",
        "postgresql+psycopg://ana:secret@db.example.com/mlboard",
    ],
)
def test_sqlalchemy_urls_are_kept_as_is(base: Path, url: str) -> None:
    trust_config(write(base / "mlboard.toml", f'database = "{url}"\n'))
    assert settings(base).database == url


# --- mistakes in the config file --------------------------------------------------------------


def test_invalid_toml_names_the_file(base: Path) -> None:
    config = write(base / "mlboard.toml", 'database = "board.db\nkey_prefix = ML\n')
    message = config_error(base)
    assert str(config) in message
    assert "invalid TOML" in message


def test_invalid_pyproject_names_the_file(base: Path) -> None:
    pyproject = write(base / "pyproject.toml", "[tool.mlboard\n")
    assert str(pyproject) in config_error(base)


def test_unknown_setting_names_the_key_and_the_file(base: Path) -> None:
    config = write(base / "mlboard.toml", 'databse = "board.db"\n')
    message = config_error(base)
    assert "'databse'" in message
    assert str(config) in message
    assert "database" in message  # the known settings are listed


def test_unknown_setting_in_pyproject_names_the_table(base: Path) -> None:
    write(base / "pyproject.toml", '[tool.mlboard]\nprefix = "ML"\n')
    message = config_error(base)
    assert "'prefix'" in message
    assert "[tool.mlboard]" in message


@pytest.mark.parametrize(
    ("line", "key", "type_name"),
    [
        ("key_prefix = 3", "key_prefix", "int"),
        ("database = true", "database", "bool"),
        ('user = ["ana"]', "user", "list"),
        ("standup_time = 09:30:00", "standup_time", "time"),
    ],
)
def test_wrong_type_is_refused(base: Path, line: str, key: str, type_name: str) -> None:
    config = write(base / "mlboard.toml", line + "\n")
    message = config_error(base)
    assert repr(key) in message
    assert type_name in message
    assert str(config) in message


@pytest.mark.parametrize(
    "content",
    ['keymap = "vim"\n', "[keymap]\nmove_next = 1\n"],
    ids=["not-a-table", "not-a-string"],
)
def test_bad_keymap_is_refused(base: Path, content: str) -> None:
    write(base / "mlboard.toml", content)
    assert "keymap" in config_error(base)


def test_a_bad_config_file_is_reported_even_with_the_db_flag(base: Path) -> None:
    write(base / "mlboard.toml", 'databse = "board.db"\n')
    with pytest.raises(UserError, match="databse"):
        load_settings("flag.db", cwd=base, environ={})


# --- key prefix, actor, keymap and the rest ---------------------------------------------------


@pytest.mark.parametrize("prefix", ["ml", "2DS", "ML-", "M L", "", "ABCDEFGHIJK"])
def test_invalid_key_prefix_is_rejected(base: Path, prefix: str) -> None:
    config = write(base / "mlboard.toml", f'key_prefix = "{prefix}"\n')
    message = config_error(base)
    assert message.startswith(f"{config}: 'key_prefix': invalid key prefix {prefix!r}")


@pytest.mark.parametrize("prefix", ["ML", "DS2", "A", "DATA_SCI", "ABCDEFGHIJ"])
def test_valid_key_prefix_is_accepted(base: Path, prefix: str) -> None:
    write(base / "mlboard.toml", f'key_prefix = "{prefix}"\n')
    assert settings(base).key_prefix == prefix


def test_key_prefix_defaults_to_ml(base: Path) -> None:
    assert settings(base).key_prefix == "ML"


def test_key_prefix_variable_beats_the_file_and_is_validated(base: Path) -> None:
    write(base / "mlboard.toml", 'key_prefix = "FILE"\n')
    assert settings(base, MLBOARD_KEY_PREFIX="ENV").key_prefix == "ENV"
    assert config_error(base, MLBOARD_KEY_PREFIX="env").startswith(
        "MLBOARD_KEY_PREFIX: invalid key prefix 'env'"
    )


def test_a_bad_time_zone_variable_is_named(base: Path) -> None:
    assert config_error(base, MLBOARD_TIMEZONE="Mars/Olympus").startswith(
        "MLBOARD_TIMEZONE: unknown time zone 'Mars/Olympus'"
    )
    assert settings(base, MLBOARD_TIMEZONE="Pacific/Auckland").timezone == "Pacific/Auckland"


# One bad value per setting: what a user could type, each refused naming the file and the key.
BAD_VALUES = {
    "database": ('database = "  "', "'database' is empty"),
    "key_prefix": ('key_prefix = "ml"', "'key_prefix': invalid key prefix 'ml'"),
    "user": ('user = ""', "'user' is empty"),
    "tracking_uri": ('tracking_uri = ["http://mlflow:5000", ""]', "'tracking_uri' has an empty"),
    "standup_time": ('standup_time = "25:00"', "'standup_time' is '25:00', not a time"),
    "link_writes_tag": ('link_writes_tag = "yes"', "'link_writes_tag' must be a bool, not str"),
    "timezone": ('timezone = "Mars/Olympus"', "'timezone': unknown time zone 'Mars/Olympus'"),
    "alerts_open_stories": ("alerts_open_stories = 1", "'alerts_open_stories' must be a bool"),
    "keymap": ("[keymap]\nmove_next = 1", "'keymap' must map binding ids to keys"),
    "done": ('[done]\nsensitive_kinds = ["paperwork"]', "'done.sensitive_kinds' has 'paperwork'"),
    "plateau": ("[plateau]\npatience = 0", "'plateau.patience' must be a whole number ≥ 1"),
}


def test_every_setting_has_a_bad_value_below(base: Path) -> None:
    write(base / "mlboard.toml", "nosuch = 1\n")
    known = config_error(base).partition("(known: ")[2].rstrip(")").split(", ")
    assert sorted(BAD_VALUES) == known


@pytest.mark.parametrize("key", sorted(BAD_VALUES))
def test_a_bad_value_of_any_setting_exits_2_naming_the_file_and_key(
    base: Path, key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the executable's entry point, as `mlboard where` in the folder of the file."""
    line, expected = BAD_VALUES[key]
    config = write(base / "mlboard.toml", line + "\n")
    code, out, err = where_in(base, monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {config}: {expected}")
    assert len(err.strip().splitlines()) == 1


def test_mlboard_user_sets_the_actor(base: Path) -> None:
    trust_config(write(base / "mlboard.toml", 'user = "file-user"\n'))
    assert settings(base, MLBOARD_USER="ana").actor == "ana"
    assert settings(base).actor == "file-user"


def test_actor_falls_back_to_a_login_name(base: Path) -> None:
    actor = settings(base).actor
    assert isinstance(actor, str)
    assert actor


def test_keymap_table_is_read(base: Path) -> None:
    write(base / "mlboard.toml", '[keymap]\nmove_next = "l"\nmove_previous = "h"\n')
    assert dict(settings(base).keymap) == {"move_next": "l", "move_previous": "h"}


@pytest.mark.parametrize("keys", ['""', '"x,"', '" "'])
def test_an_empty_key_in_the_keymap_is_refused(base: Path, keys: str) -> None:
    write(base / "mlboard.toml", f"[keymap]\nmove_next = {keys}\n")
    assert "'keymap.move_next' has an empty key" in config_error(base)


@pytest.mark.parametrize(
    ("binding_id", "hint"),
    [("move_prev", "did you mean move_previous?"), ("warp", "the README lists them per screen")],
)
def test_an_unknown_binding_id_is_refused_like_an_unknown_setting(
    base: Path, binding_id: str, hint: str
) -> None:
    """It would remap nothing, silently; any command that reads the config says so."""
    config = write(base / "pyproject.toml", f'[tool.mlboard.keymap]\n{binding_id} = "h"\n')
    assert config_error(base) == (
        f"{config} [tool.mlboard]: unknown setting 'keymap.{binding_id}': no key binding has "
        f"that id ({hint})"
    )


def test_keymap_table_is_read_from_pyproject(base: Path) -> None:
    write(base / "pyproject.toml", '[tool.mlboard.keymap]\nmove_next = "ctrl+l"\n')
    assert dict(settings(base).keymap) == {"move_next": "ctrl+l"}


def test_keymap_defaults_to_empty(base: Path) -> None:
    assert dict(settings(base).keymap) == {}


def test_tracking_uri_and_standup_time(base: Path) -> None:
    trust_config(
        write(
            base / "mlboard.toml",
            'tracking_uri = "http://mlflow.internal:5000"\nstandup_time = "10:15"\n',
        )
    )
    result = settings(base)
    assert result.tracking_uris == ("http://mlflow.internal:5000",)
    assert result.standup_time == "10:15"
    assert settings(base, MLFLOW_TRACKING_URI="databricks").tracking_uris == ("databricks",)


def test_a_relative_sqlite_store_is_beside_the_config_file(base: Path) -> None:
    trust_config(
        write(
            base / "repo" / "mlboard.toml",
            'tracking_uri = ["sqlite:///mlflow.db", "sqlite:///../runs.db?mode=ro", '
            '"sqlite:////srv/mlflow.db", "sqlite:///:memory:", "http://mlflow:5000"]\n',
        )
    )
    cwd = base / "repo" / "notebooks"
    cwd.mkdir(parents=True)
    assert settings(cwd).tracking_uris == (
        f"sqlite:///{base / 'repo' / 'mlflow.db'}",
        f"sqlite:///{base / 'runs.db'}?mode=ro",
        "sqlite:////srv/mlflow.db",
        "sqlite:///:memory:",
        "http://mlflow:5000",
    )
    # the environment names a store as the user typed it: relative to where they are
    assert settings(cwd, MLFLOW_TRACKING_URI="sqlite:///x.db").tracking_uris == ("sqlite:///x.db",)


def test_a_misspelt_table_is_refused(tmp_path):
    (tmp_path / "mlboard.toml").write_text('[keymaps]\nmove_next = "l"\n', encoding="utf-8")
    with pytest.raises(UserError, match="unknown setting 'keymaps'"):
        load_settings(cwd=tmp_path, environ={})


def test_a_pyproject_with_an_odd_tool_entry_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n', encoding="utf-8")
    settings = load_settings(cwd=tmp_path, environ={"MLBOARD_DB": str(tmp_path / "b.db")})
    assert settings.config_file is None


def test_plateau_rules_default_to_patience_five_and_one_percent(tmp_path):
    rules = load_settings(cwd=tmp_path, environ={}).plateau
    assert (rules.patience, rules.min_delta, rules.min_delta_fraction) == (5, None, 0.01)


def test_a_team_sets_its_plateau_rules_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mlboard.plateau]\npatience = 3\nmin_delta = 0.002\n", encoding="utf-8"
    )
    rules = load_settings(cwd=tmp_path, environ={}).plateau
    assert (rules.patience, rules.min_delta, rules.min_delta_fraction) == (3, 0.002, 0.01)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[plateau]\npatiance = 3\n", "unknown setting 'plateau.patiance'"),
        ("[plateau]\npatience = 0\n", "'plateau.patience' must be a whole number ≥ 1, not 0"),
        ("[plateau]\npatience = 2.5\n", "'plateau.patience' must be a whole number ≥ 1"),
        ("[plateau]\npatience = true\n", "'plateau.patience' must be a whole number ≥ 1"),
        ('[plateau]\nmin_delta = "0.01"\n', "'plateau.min_delta' must be a number ≥ 0"),
        ("[plateau]\nmin_delta = -0.1\n", "'plateau.min_delta' must be a number ≥ 0"),
        ("[plateau]\nmin_delta_fraction = nan\n", "'plateau.min_delta_fraction' must be a"),
        ("plateau = 5\n", "'plateau' must be a table"),
    ],
)
def test_mistakes_in_the_plateau_table_name_the_file_and_key(tmp_path, table, message):
    config = tmp_path / "mlboard.toml"
    config.write_text(table, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_settings(cwd=tmp_path, environ={})
    assert str(config) in info.value.message and message in info.value.message


def where(base: Path, monkeypatch, capsys, *flags: str, **environ: str) -> list[str]:
    """What `mlboard [FLAGS] where` prints in `base`, with only `environ` set of MLBOARD_*."""
    code, out, _ = where_in(base, monkeypatch, capsys, *flags, **environ)
    assert code in (0, None)
    return out.splitlines()


def test_where_says_which_database_and_config_and_why(base: Path, monkeypatch, capsys) -> None:
    config = write(base / "mlboard.toml", 'database = "team.db"\nuser = "ana"\n')
    nested = base / "notebooks"
    nested.mkdir()
    untrusted = (
        "trust:    not trusted: it sets database, user, so commands here refuse it until "
        f"`mlboard config trust {config}`"
    )
    assert where(nested, monkeypatch, capsys) == [
        f"database: {base / 'team.db'} (from {config})",
        f"config:   {config}",
        untrusted,
        "actor:    ana",
    ]
    assert where(nested, monkeypatch, capsys, MLBOARD_DB="env.db", MLBOARD_USER="bob") == [
        "database: env.db (from MLBOARD_DB)",
        f"config:   {config}",
        "trust:    not trusted; not needed here: database, user overridden by flag or variable",
        "actor:    bob",
    ]
    assert where(nested, monkeypatch, capsys, "--db", "flag.db")[0] == (
        "database: flag.db (from --db)"
    )


def test_where_without_a_config_file_names_the_default(
    base: Path, default_db: Path, monkeypatch, capsys
) -> None:
    lines = where(base, monkeypatch, capsys, MLBOARD_USER="zoe")
    assert lines == [f"database: {default_db} (from default)", "config:   none found",
                     "actor:    zoe"]  # fmt: skip
    assert not default_db.parent.exists()  # saying where creates nothing
