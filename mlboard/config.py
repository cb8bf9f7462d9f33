"""Settings, in one typed object: flags > `MLBOARD_*` environment > config file > defaults.

The config file is the nearest `mlboard.toml`, or `pyproject.toml` with a `[tool.mlboard]` table,
found by walking up from the working directory — so a repository can carry its team's board
settings. Relative paths in a config file are relative to that file. The settings that say where
data goes and who acts (`database`, `tracking_uri`, `user`) are obeyed from such a file only once
the user trusts it (`mlboard.config_trust`); flags and variables are the user's own.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The rules and value meanings live a floor lower, shared with the file's model; the services
# and the TUI read them from here.
from mlboard.config_rules import ACCEPTED_BELOW_TARGET as ACCEPTED_BELOW_TARGET
from mlboard.config_rules import COMPUTED_ITEMS as COMPUTED_ITEMS
from mlboard.config_rules import DoneRules, PlateauRules
from mlboard.config_trust import NEEDS_TRUST, ConfigTrust, TrustState, digest
from mlboard.config_values import DEFAULT_PREFIX, key_prefix_problem, sqlite_path, time_zone_problem
from mlboard.config_values import local_zone as local_zone
from mlboard.errors import UserError

APP_NAME = "mlboard"


@dataclass(frozen=True)
class Settings:
    """Everything a command or the TUI needs to know about where and how to work."""

    database: str
    database_origin: str
    key_prefix: str = DEFAULT_PREFIX
    actor: str = "unknown"
    keymap: Mapping[str, str] = field(default_factory=dict)
    tracking_uris: tuple[str, ...] = ()
    link_writes_tag: bool = True
    timezone: str | None = None
    alerts_open_stories: bool = False
    standup_time: str = "09:30"
    done: DoneRules = field(default_factory=DoneRules)
    plateau: PlateauRules = field(default_factory=PlateauRules)
    config_file: Path | None = None
    config_trust: ConfigTrust | None = None


@dataclass(frozen=True)
class ConfigFile:
    """A config file as read once: its mlboard table, the settings it sets (checked and typed,
    `mlboard.config_file`) and the digest of the bytes it came from, so what is trusted is
    exactly what is obeyed."""

    path: Path
    table: dict[str, Any]
    digest: str
    values: Mapping[str, Any]

    @property
    def sets(self) -> tuple[str, ...]:
        """The settings in it that need the user's trust."""
        return tuple(key for key in NEEDS_TRUST if key in self.table)


CONFIG_NAMES = ("mlboard.toml", "pyproject.toml")


def find_config_file(start: Path) -> ConfigFile | None:
    """The nearest file, walking up from `start`, that holds mlboard settings."""
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            path = folder / name
            found = read_config_file(path) if path.is_file() else None
            if found is not None:
                return found
    return None


def read_config_file(path: Path) -> ConfigFile | None:
    """`path` with its mlboard table, checked: all of an `mlboard.toml`, `[tool.mlboard]` of a
    `pyproject.toml` (None when it has none)."""
    try:
        content = path.read_bytes()
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: invalid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read: {error.strerror}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("mlboard") if isinstance(tool, dict) else None
        if not isinstance(data, dict):
            return None
    from mlboard.config_file import checked_settings  # pydantic: only when there is a file

    return ConfigFile(path, data, digest(content), checked_settings(data, config_location(path)))


def default_database() -> Path:
    """The embedded database in the user's data folder (the folder is made when it is opened)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "mlboard.db"


def load_settings(
    db: str | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    tracking_uris: Sequence[str] = (),
    require_trust: bool = True,
) -> Settings:
    """Resolve the settings for one process. `db` is the `--db` flag and `tracking_uris` the
    `--tracking-uri` flags when given.

    A config file's `database`, `tracking_uri` and `user` are obeyed only if the user trusts
    the file; otherwise this refuses, before anything is opened or sent (`require_trust=False`
    only for showing the settings, as `mlboard where` does).
    """
    environ = os.environ if environ is None else environ
    found = find_config_file((cwd or Path.cwd()).resolve())
    config_file, values = (found.path, found.values) if found else (None, {})
    if db is not None and not db.strip():
        raise UserError("--db is empty: give a file path or a SQLAlchemy URL")
    overridden = {
        "database": bool(db or environ.get("MLBOARD_DB")),
        "tracking_uri": bool(tracking_uris or environ.get("MLFLOW_TRACKING_URI")),
        "user": bool(environ.get("MLBOARD_USER")),
    }
    trust = None
    if found is not None:
        needs = tuple(key for key in found.sets if not overridden[key])
        trust = ConfigTrust(found.path, found.digest, found.sets, needs)
        if require_trust and needs and (state := trust.state()) is not TrustState.TRUSTED:
            raise UserError(trust.refusal(state))

    if db:
        database, origin = db, "--db"
    elif environ.get("MLBOARD_DB"):
        database, origin = environ["MLBOARD_DB"], "MLBOARD_DB"
    elif "database" in values and config_file is not None:
        database, origin = _relative_to(config_file, values["database"]), str(config_file)
    else:
        database, origin = str(default_database()), "default"

    for variable, problem in (
        ("MLBOARD_KEY_PREFIX", key_prefix_problem),
        ("MLBOARD_TIMEZONE", time_zone_problem),
    ):
        if environ.get(variable) and (why := problem(environ[variable])):
            raise UserError(f"{variable}: {why}")
    prefix = environ.get("MLBOARD_KEY_PREFIX") or values.get("key_prefix", DEFAULT_PREFIX)
    actor = environ.get("MLBOARD_USER") or values.get("user") or _login_name()
    configured = values.get("tracking_uri", [])
    if tracking_uris or environ.get("MLFLOW_TRACKING_URI"):
        uris = tuple(tracking_uris) or (environ["MLFLOW_TRACKING_URI"],)
    else:
        uris = tuple(
            _store_relative_to(config_file, uri)
            for uri in ([configured] if isinstance(configured, str) else configured)
        )
    return Settings(
        database=database,
        database_origin=origin,
        key_prefix=prefix,
        actor=actor,
        keymap=dict(values.get("keymap", {})),
        tracking_uris=uris,
        link_writes_tag=values.get("link_writes_tag", True),
        timezone=environ.get("MLBOARD_TIMEZONE") or values.get("timezone"),
        alerts_open_stories=values.get("alerts_open_stories", False),
        standup_time=values.get("standup_time", "09:30"),
        done=values.get("done", DoneRules()),
        plateau=values.get("plateau", PlateauRules()),
        config_file=config_file,
        config_trust=trust,
    )


def config_location(path: Path | None) -> str:
    """How an error names the config file: `pyproject.toml [tool.mlboard]`, or the file."""
    return f"{path} [tool.mlboard]" if path and path.name == "pyproject.toml" else str(path)


def _store_relative_to(config_file: Path | None, uri: str) -> str:
    """A `sqlite:///relative.db` tracking store in a config file lives beside that file, as the
    database does, wherever the command is run from."""
    path = sqlite_path(uri)
    if config_file is None or path is None or Path(path).is_absolute():
        return uri
    query = uri.partition("?")[2]
    return f"sqlite:///{_relative_to(config_file, path)}" + (f"?{query}" if query else "")


def _relative_to(config_file: Path, location: str) -> str:
    if "://" in location:
        return location
    return str((config_file.parent / Path(location).expanduser()).resolve())


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
