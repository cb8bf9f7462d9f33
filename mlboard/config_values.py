"""What a setting's value means, wherever it was written: a story key prefix, a time zone, the file
of a `sqlite:///` store.

Shared by the config file's model (`mlboard.config_file`) and the `MLBOARD_*` variables
(`mlboard.config`), so a value is judged by the same words in a file and in the environment; kept
light, as the services read time zones and store paths from here without pydantic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from mlboard.errors import UserError

DEFAULT_PREFIX = "ML"
_PREFIX = re.compile(r"[A-Z][A-Z0-9_]{0,9}")


def key_prefix_problem(prefix: str) -> str | None:
    """Why `prefix` cannot start story keys (`ML` in `ML-12`), or None when it can."""
    if _PREFIX.fullmatch(prefix):
        return None
    return (
        f"invalid key prefix {prefix!r}: use 1-10 capital letters or digits, "
        "starting with a letter (e.g. ML)"
    )


def time_zone_problem(name: str) -> str | None:
    """Why `name` is no time zone mlboard can use, or None when it is one."""
    try:
        local_zone(name)
    except UserError as error:
        return error.message
    return None


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


def sqlite_path(uri: str) -> str | None:
    """The file of a `sqlite:///…` URL as written (relative or absolute); None for other URLs
    and for in-memory databases."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").partition("?")[0]
    return None if path in ("", ":memory:") else path
