"""Settings, in one typed object: flags > `MLBOARD_*` environment > config file > defaults.

The config file is the nearest `mlboard.toml`, or `pyproject.toml` with a `[tool.mlboard]` table,
found by walking up from the working directory — so a repository can carry its team's board
settings. Relative paths in a config file are relative to that file.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from mlboard.errors import UserError

APP_NAME = "mlboard"
DEFAULT_PREFIX = "ML"
_PREFIX = re.compile(r"[A-Z][A-Z0-9_]{0,9}")
# Each setting's accepted types; `tracking_uri` may name one store or a list of them.
_KNOWN_KEYS: dict[str, tuple[type, ...]] = {
    "database": (str,),
    "key_prefix": (str,),
    "user": (str,),
    "tracking_uri": (str, list),
    "standup_time": (str,),
    "link_writes_tag": (bool,),
    "timezone": (str,),
    "alerts_open_stories": (bool,),
}
_KNOWN_TABLES = {"keymap"}


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
    config_file: Path | None = None


def find_config_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest file, walking up from `start`, that holds mlboard settings, and its table."""
    for folder in (start, *start.parents):
        own = folder / "mlboard.toml"
        if own.is_file():
            return own, _read_toml(own)
        project = folder / "pyproject.toml"
        if project.is_file():
            tool = _read_toml(project).get("tool")
            table = tool.get("mlboard") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return project, table
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read: {error.strerror}") from None


def default_database() -> Path:
    """The embedded database in the user's data folder (the folder is made when it is opened)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "mlboard.db"


def load_settings(
    db: str | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings for one process. `db` is the `--db` flag when given."""
    environ = os.environ if environ is None else environ
    found = find_config_file((cwd or Path.cwd()).resolve())
    config_file, table = found if found else (None, {})
    _check_table(config_file, table)

    if db:
        database, origin = db, "--db"
    elif environ.get("MLBOARD_DB"):
        database, origin = environ["MLBOARD_DB"], "MLBOARD_DB"
    elif "database" in table and config_file is not None:
        database, origin = _relative_to(config_file, table["database"]), str(config_file)
    else:
        database, origin = str(default_database()), "default"

    prefix = environ.get("MLBOARD_KEY_PREFIX") or table.get("key_prefix", DEFAULT_PREFIX)
    if not _PREFIX.fullmatch(prefix):
        raise UserError(
            f"invalid key prefix {prefix!r}: use 1-10 capital letters or digits, "
            "starting with a letter (e.g. ML)"
        )
    actor = environ.get("MLBOARD_USER") or table.get("user") or _login_name()
    configured = table.get("tracking_uri", [])
    tracking_uris = (
        (environ["MLFLOW_TRACKING_URI"],)
        if environ.get("MLFLOW_TRACKING_URI")
        else tuple([configured] if isinstance(configured, str) else configured)
    )
    return Settings(
        database=database,
        database_origin=origin,
        key_prefix=prefix,
        actor=actor,
        keymap=dict(table.get("keymap", {})),
        tracking_uris=tracking_uris,
        link_writes_tag=table.get("link_writes_tag", True),
        timezone=environ.get("MLBOARD_TIMEZONE") or table.get("timezone"),
        alerts_open_stories=table.get("alerts_open_stories", False),
        standup_time=table.get("standup_time", "09:30"),
        config_file=config_file,
    )


def _check_table(path: Path | None, table: Mapping[str, Any]) -> None:
    """Reject misspelt or mistyped settings with the file and key named."""
    where = f"{path} [tool.mlboard]" if path and path.name == "pyproject.toml" else str(path)
    for key, value in table.items():
        if key not in _KNOWN_KEYS.keys() | _KNOWN_TABLES:
            known = ", ".join(sorted(_KNOWN_KEYS.keys() | _KNOWN_TABLES))
            raise UserError(f"{where}: unknown setting {key!r} (known: {known})")
        if key == "keymap":
            if not isinstance(value, dict) or not all(
                isinstance(keys, str) for keys in value.values()
            ):
                raise UserError(f"{where}: 'keymap' must map binding ids to keys, e.g. move_next")
        elif key in _KNOWN_KEYS and not isinstance(value, _KNOWN_KEYS[key]):
            wanted = " or ".join(kind.__name__ for kind in _KNOWN_KEYS[key])
            raise UserError(f"{where}: {key!r} must be a {wanted}, not {type(value).__name__}")
        elif key == "tracking_uri" and not all(isinstance(uri, str) for uri in _listed(value)):
            raise UserError(f"{where}: 'tracking_uri' must be a URI or a list of URIs")


def local_zone(name: str | None = None) -> tzinfo:
    """The team's time zone: the `timezone` setting (IANA name), else this machine's."""
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(f"unknown time zone {name!r} (e.g. Europe/Paris, UTC)") from None
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _relative_to(config_file: Path, location: str) -> str:
    if "://" in location:
        return location
    return str((config_file.parent / Path(location).expanduser()).resolve())


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
