"""Settings, in one typed object: flags > `MLBOARD_*` environment > config file > defaults.

The config file is the nearest `mlboard.toml`, or `pyproject.toml` with a `[tool.mlboard]` table,
found by walking up from the working directory — so a repository can carry its team's board
settings. Relative paths in a config file are relative to that file. The settings that say where
data goes and who acts (`database`, `tracking_uri`, `user`) are obeyed from such a file only once
the user trusts it (`mlboard.config_trust`); flags and variables are the user's own.
"""

from __future__ import annotations

import getpass
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

# The rules and value meanings live a floor lower; the services and the TUI read them from here.
from mlboard.config_rules import ACCEPTED_BELOW_TARGET as ACCEPTED_BELOW_TARGET
from mlboard.config_rules import COMPUTED_ITEMS, DoneRules, PlateauRules
from mlboard.config_trust import NEEDS_TRUST, ConfigTrust, TrustState, digest
from mlboard.config_values import DEFAULT_PREFIX, key_prefix_problem, sqlite_path, time_zone_problem
from mlboard.config_values import local_zone as local_zone
from mlboard.domain import Sensitivity, StoryKind
from mlboard.errors import UserError

APP_NAME = "mlboard"
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
_KNOWN_TABLES = {"keymap", "done", "plateau"}


_ITEM = re.compile(r"[a-z][a-z0-9_]{0,49}")
_DONE_KEYS: dict[str, type] = {
    "sensitive_kinds": list,
    "sensitive_levels": list,
    "sensitive_items": list,
    "experiment_needs_run": bool,
    "target_needs_met_or_accepted": bool,
    "kinds": dict,
}
_KINDS = tuple(kind.value for kind in StoryKind)
_LEVELS = tuple(level.value for level in Sensitivity)


def done_rules(table: Mapping[str, Any], where: str) -> DoneRules:
    """Build the rules from the `done` table, naming the file and key of any mistake."""
    for key, value in table.items():
        if key not in _DONE_KEYS:
            known = ", ".join(_DONE_KEYS)
            raise UserError(f"{where}: unknown setting 'done.{key}' (known: {known})")
        if not isinstance(value, _DONE_KEYS[key]):
            wanted = {list: "list", bool: "true or false", dict: "table"}[_DONE_KEYS[key]]
            raise UserError(f"{where}: 'done.{key}' must be a {wanted}, not {type(value).__name__}")
    kinds = {}
    for kind, items in table.get("kinds", {}).items():
        _words([kind], _KINDS, where, "done.kinds", "a story kind")
        kinds[kind] = _items(items, where, f"done.kinds.{kind}")
    defaults = DoneRules()
    return DoneRules(
        sensitive_kinds=_words(
            table.get("sensitive_kinds", defaults.sensitive_kinds), _KINDS, where,
            "done.sensitive_kinds", "a story kind",
        ),
        sensitive_levels=_words(
            table.get("sensitive_levels", defaults.sensitive_levels), _LEVELS, where,
            "done.sensitive_levels", "a sensitivity",
        ),
        sensitive_items=_items(
            table.get("sensitive_items", defaults.sensitive_items), where, "done.sensitive_items"
        ),
        experiment_needs_run=table.get("experiment_needs_run", defaults.experiment_needs_run),
        target_needs_met_or_accepted=table.get(
            "target_needs_met_or_accepted", defaults.target_needs_met_or_accepted
        ),
        kinds=kinds,
    )  # fmt: skip


def _words(
    values: Any, allowed: tuple[str, ...], where: str, key: str, what: str
) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise UserError(
                f"{where}: '{key}' has {value!r}, which is not {what} "
                f"(choose from {', '.join(allowed)})"
            )
    return tuple(values)


def _items(values: Any, where: str, key: str) -> tuple[str, ...]:
    """Checklist item names: snake_case ids, and not one of the gates the board computes."""
    if not isinstance(values, list | tuple):
        raise UserError(f"{where}: '{key}' must be a list of item names, e.g. [\"rollback_plan\"]")
    for value in values:
        if not isinstance(value, str) or not _ITEM.fullmatch(value):
            raise UserError(
                f"{where}: '{key}' has {value!r}: item names are snake_case, e.g. rollback_plan"
            )
        if value in COMPUTED_ITEMS:
            raise UserError(
                f"{where}: '{key}' has {value!r}, which the board decides from runs "
                "(see done.experiment_needs_run and done.target_needs_met_or_accepted)"
            )
    return tuple(dict.fromkeys(values))


def plateau_rules(table: Mapping[str, Any], where: str) -> PlateauRules:
    """Build the rules from the `plateau` table, naming the file and key of any mistake."""
    wanted = {
        "patience": "a whole number ≥ 1",
        "min_delta": "a number ≥ 0",
        "min_delta_fraction": "a number ≥ 0",
    }
    for key, value in table.items():
        if key not in wanted:
            raise UserError(
                f"{where}: unknown setting 'plateau.{key}' (known: {', '.join(wanted)})"
            )
        whole = isinstance(value, int) and not isinstance(value, bool)
        number = whole or (isinstance(value, float) and math.isfinite(value))
        fits = whole and value >= 1 if key == "patience" else number and value >= 0
        if not fits:
            raise UserError(f"{where}: 'plateau.{key}' must be {wanted[key]}, not {value!r}")
    defaults = PlateauRules()
    return PlateauRules(
        patience=table.get("patience", defaults.patience),
        min_delta=float(table["min_delta"]) if "min_delta" in table else None,
        min_delta_fraction=float(table.get("min_delta_fraction", defaults.min_delta_fraction)),
    )


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
    """A config file as read once: its mlboard table and the digest of the bytes it came from,
    so what is trusted is exactly what is obeyed."""

    path: Path
    table: dict[str, Any]
    digest: str

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
    _check_table(path, data)
    return ConfigFile(path, data, digest(content))


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
    config_file, table = (found.path, found.table) if found else (None, {})
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
    elif "database" in table and config_file is not None:
        database, origin = _relative_to(config_file, table["database"]), str(config_file)
    else:
        database, origin = str(default_database()), "default"

    if environ.get("MLBOARD_KEY_PREFIX"):
        _check_prefix("MLBOARD_KEY_PREFIX", environ["MLBOARD_KEY_PREFIX"])
    if environ.get("MLBOARD_TIMEZONE"):
        _check_zone("MLBOARD_TIMEZONE", environ["MLBOARD_TIMEZONE"])
    prefix = environ.get("MLBOARD_KEY_PREFIX") or table.get("key_prefix", DEFAULT_PREFIX)
    actor = environ.get("MLBOARD_USER") or table.get("user") or _login_name()
    configured = table.get("tracking_uri", [])
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
        keymap=dict(table.get("keymap", {})),
        tracking_uris=uris,
        link_writes_tag=table.get("link_writes_tag", True),
        timezone=environ.get("MLBOARD_TIMEZONE") or table.get("timezone"),
        alerts_open_stories=table.get("alerts_open_stories", False),
        standup_time=table.get("standup_time", "09:30"),
        done=done_rules(table.get("done", {}), config_location(config_file)),
        plateau=plateau_rules(table.get("plateau", {}), config_location(config_file)),
        config_file=config_file,
        config_trust=trust,
    )


def config_location(path: Path | None) -> str:
    """How an error names the config file: `pyproject.toml [tool.mlboard]`, or the file."""
    return f"{path} [tool.mlboard]" if path and path.name == "pyproject.toml" else str(path)


def _check_table(path: Path, table: Mapping[str, Any]) -> None:
    """Reject misspelt or mistyped settings with the file and key named."""
    where = config_location(path)
    for key, value in table.items():
        if key not in _KNOWN_KEYS.keys() | _KNOWN_TABLES:
            known = ", ".join(sorted(_KNOWN_KEYS.keys() | _KNOWN_TABLES))
            raise UserError(f"{where}: unknown setting {key!r} (known: {known})")
        if key == "keymap":
            if not isinstance(value, dict) or not all(
                isinstance(keys, str) for keys in value.values()
            ):
                raise UserError(f"{where}: 'keymap' must map binding ids to keys, e.g. move_next")
            _check_binding_ids(where, value)
        elif key in _KNOWN_KEYS and not isinstance(value, _KNOWN_KEYS[key]):
            wanted = " or ".join(kind.__name__ for kind in _KNOWN_KEYS[key])
            raise UserError(f"{where}: {key!r} must be a {wanted}, not {type(value).__name__}")
        elif key == "tracking_uri" and not all(isinstance(uri, str) for uri in _listed(value)):
            raise UserError(f"{where}: 'tracking_uri' must be a URI or a list of URIs")
        elif key in ("done", "plateau") and not isinstance(value, dict):
            raise UserError(f"{where}: {key!r} must be a table ([tool.mlboard.{key}])")
        _check_value(f"{where}: {key!r}", key, value)


def _check_binding_ids(where: str, keymap: Mapping[str, str]) -> None:
    """A misspelt binding id would remap nothing, silently: refuse it as any unknown setting.
    An empty key, too: it would unbind nothing and bind nothing."""
    from mlboard.keymap import DEFAULT_KEYS

    for binding_id, keys in keymap.items():
        if binding_id not in DEFAULT_KEYS:
            from difflib import get_close_matches

            close = get_close_matches(binding_id, DEFAULT_KEYS, n=1)
            hint = f"did you mean {close[0]}?" if close else "the README lists them per screen"
            raise UserError(
                f"{where}: unknown setting 'keymap.{binding_id}': no key binding has that id "
                f"({hint})"
            )
        if not all(key.strip() for key in keys.split(",")):
            raise UserError(f"{where}: 'keymap.{binding_id}' has an empty key: name one, e.g. 'x'")


def _check_value(source: str, key: str, value: Any) -> None:
    """A setting of the right type may still be unusable: say so now, naming where it came
    from, rather than when a command first reads it."""
    if key in ("database", "user") and not value.strip():
        raise UserError(f"{source} is empty")
    if key == "tracking_uri" and not all(uri.strip() for uri in _listed(value)):
        raise UserError(f"{source} has an empty URI")
    if key == "database":
        _check_location(source, value)
    elif key == "tracking_uri":
        for uri in _listed(value):
            _check_location(source, sqlite_path(uri) or "")
    elif key == "key_prefix":
        _check_prefix(source, value)
    elif key == "standup_time":
        try:
            time.fromisoformat(value)
        except ValueError:
            raise UserError(f"{source} is {value!r}, not a time like 09:30") from None
    elif key == "timezone":
        _check_zone(source, value)


def _check_location(source: str, location: str) -> None:
    """A path the file names beside itself: one the file system could hold, a `~user` that
    exists."""
    if "\x00" in location:
        raise UserError(f"{source} contains a NUL character")
    if "://" not in location:
        try:
            Path(location).expanduser()
        except RuntimeError:
            raise UserError(f"{source}: no home folder for {location.split('/')[0]!r}") from None


def _check_prefix(source: str, prefix: str) -> None:
    if problem := key_prefix_problem(prefix):
        raise UserError(f"{source}: {problem}")


def _check_zone(source: str, name: str) -> None:
    if problem := time_zone_problem(name):
        raise UserError(f"{source}: {problem}")


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


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
