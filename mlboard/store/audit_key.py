"""The audit key: the secret that keeps the trail's hashes from being recomputed from the database.

A plain hash chain proves nothing to someone who can rewrite the whole table: they recompute it.
With an HMAC, recomputing needs the key, which lives outside the database: `MLBOARD_AUDIT_KEY`
(any string; a team shares one) or else a key file in the user's config folder, made on the
first write (32 random bytes, hex-encoded so that the file's text can be handed over as
`MLBOARD_AUDIT_KEY`; mode 0600). Either way the key is the text's UTF-8 bytes.

Each entry carries the key's id, an HMAC of a constant (never the key itself), so `verify` can
tell "written with another key" from "tampered with".
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mlboard.config import APP_NAME
from mlboard.errors import UserError

ENV = "MLBOARD_AUDIT_KEY"
KEY_FILE = "audit.key"
_ID_MESSAGE = b"mlboard audit key id"


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    source: str  # where it came from, for messages: the variable or the file

    @cached_property
    def id(self) -> str:
        return key_id(self.secret)

    def sign(self, message: bytes) -> str:
        return hmac.digest(self.secret, message, "sha256").hex()


def key_id(secret: bytes) -> str:
    """A short fingerprint of the key: who holds the key can recompute it, nobody else."""
    return hmac.new(secret, _ID_MESSAGE, hashlib.sha256).hexdigest()[:16]


def key_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / KEY_FILE


def existing_key() -> AuditKey | None:
    """The key this machine would write with, without making one (verifying is read-only)."""
    text = os.environ.get(ENV, "")
    if text:
        return AuditKey(text.encode(), ENV)
    path = key_file()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UserError(f"audit key {path} cannot be read: {error.strerror}") from None
    if not text:
        raise UserError(f"audit key {path} is empty: remove it, or set {ENV}")
    return AuditKey(text.encode(), str(path))


def signing_key() -> AuditKey:
    """The key to write with: `MLBOARD_AUDIT_KEY`, else the key file, made if there is none."""
    return existing_key() or _new_key_file(key_file())


def _new_key_file(path: Path) -> AuditKey:
    """Write a fresh key beside its final name, then link it there: two processes making one
    at once end up with the same key, and a reader never sees a half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:  # mkstemp: mode 0600
                stream.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    except OSError as error:
        raise UserError(
            f"cannot create the audit key {path}: {error.strerror} (or set {ENV})"
        ) from None
    made = existing_key()
    assert made is not None
    return made
