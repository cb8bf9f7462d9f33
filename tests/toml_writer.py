"""A small TOML writer for the config tests (tomllib only reads): strings, integers, floats,
booleans, arrays and tables, with TOML's escaping, so every generated file is valid TOML."""

from __future__ import annotations

import math
import re

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def string(text: str) -> str:
    """A basic string: quotes and backslashes escaped, control characters as \\uXXXX."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else string(name)


def value(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        assert math.isfinite(item), "TOML's inf and nan are not written here"
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, list):
        return "[" + ", ".join(value(element) for element in item) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + "}"
    raise TypeError(f"no TOML for {type(item).__name__}")


def document(table: dict[str, object], section: str | None = None) -> str:
    """`table` as a file: its plain values first, then each sub-table as a [section] of its own
    (`[tool.mlboard.keymap]` under `section="tool.mlboard"`)."""
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    lines = [f"[{section}]"] if section else []
    lines += [f"{key(k)} = {value(v)}" for k, v in plain.items()]
    for name, sub in tables.items():
        lines.append(f"[{section}.{key(name)}]" if section else f"[{key(name)}]")
        lines += [f"{key(k)} = {value(v)}" for k, v in sub.items()]
    return "\n".join(lines) + "\n"
