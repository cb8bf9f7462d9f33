"""Which config files the user trusts to say where data goes and who acts.

A config file found by walking up from the working directory belongs to whoever wrote that
repository. It may choose the board's look and rules, but `database`, `tracking_uri` and `user`
decide where the board is written, which server receives the user's MLflow token and whose name
goes in the audit trail, so those are obeyed only once the user has trusted the file (the model
is `direnv allow`). A trust record is the file's location and the SHA-256 of its content, kept in
the user's config folder: a changed file is a new file and must be trusted again.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from mlboard.errors import UserError

# The settings that say where data goes and who acts, and how the user overrides each one.
NEEDS_TRUST = ("database", "tracking_uri", "user")
OVERRIDES = {
    "database": "--db or MLBOARD_DB",
    "tracking_uri": "MLFLOW_TRACKING_URI",
    "user": "MLBOARD_USER",
}
STORE_NAME = "trusted.json"


class TrustState(StrEnum):
    TRUSTED = "trusted"
    CHANGED = "changed since trusted"
    UNTRUSTED = "not trusted"


@dataclass(frozen=True)
class ConfigTrust:
    """A config file's standing: which trusted settings it sets, and which of those this process
    would obey (`needs`: not overridden by a flag or variable) and so need the user's trust."""

    path: Path
    digest: str
    sets: tuple[str, ...]
    needs: tuple[str, ...]

    def state(self) -> TrustState:
        return trust_state(self.path, self.digest)

    @property
    def command(self) -> str:
        """The command that trusts this file, as the user can paste it."""
        return f"mlboard config trust {shlex.quote(str(self.path))}"

    def refusal(self, state: TrustState) -> str:
        """The one line that refuses an untrusted file, saying how to trust or override it."""
        changed = " changed since you trusted it and" if state is TrustState.CHANGED else ""
        overrides = ", ".join(OVERRIDES[key] for key in self.needs)
        return (
            f"{self.path}{changed} sets {', '.join(self.needs)}; run `{self.command}` to use it "
            f"(or override: {overrides})"
        )


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def location(path: Path) -> Path:
    """A config file's place as trust records it: absolute, with symlinked folders resolved.

    The file's own name is kept even when it is a link: relative paths in a config file are read
    from where the file is found, so a link to a trusted file from another folder would send data
    somewhere else, and is a config of its own to trust.
    """
    path = path.expanduser().absolute()
    return path.parent.resolve() / path.name


def store_path() -> Path:
    """`trusted.json` in the user's config folder (platformdirs; XDG_CONFIG_HOME on Linux)."""
    from platformdirs import user_config_path

    return user_config_path("mlboard", appauthor=False) / STORE_NAME


def trust_state(path: Path, content_digest: str) -> TrustState:
    recorded = _records(store_path()).get(str(location(path)))
    if recorded is None:
        return TrustState.UNTRUSTED
    return TrustState.TRUSTED if recorded == content_digest else TrustState.CHANGED


def record_trust(path: Path, content_digest: str) -> Path:
    """Trust this content at this place (replacing an earlier record); returns the store."""
    store = store_path()
    records = _records(store)
    records[str(location(path))] = content_digest
    _write(store, records)
    return store


def forget_trust(path: Path) -> bool:
    """Stop trusting the file at `path`; False when it was not trusted."""
    store = store_path()
    records = _records(store)
    if records.pop(str(location(path)), None) is None:
        return False
    _write(store, records)
    return True


def _records(store: Path) -> dict[str, str]:
    import json

    try:
        data: Any = json.loads(store.read_bytes())
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UserError(f"{store}: cannot be read: {error.strerror}") from None
    except ValueError as error:
        raise UserError(f"{store}: not a trust record file ({error}): fix or delete it") from None
    files = data.get("trusted") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise UserError(f'{store}: not a trust record file (no "trusted" table): fix or delete it')
    return files


def _write(store: Path, records: dict[str, str]) -> None:
    import json

    from mlboard.files import write_atomically

    try:
        store.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {store.parent}: {error.strerror}") from None
    text = json.dumps({"trusted": dict(sorted(records.items()))}, indent=2, ensure_ascii=False)
    write_atomically(store, text + "\n")
