"""`verify`: walk the chain, check each hash with the key, check the head, replay to the tables.

What each check proves, for someone who changed the database behind mlboard's back:

* the chain (each entry names the hash of the one before it): an entry deleted from the middle;
* the hash (an HMAC with the audit key): an entry edited, or a chain re-computed without the
  key; once entries are keyed, an unkeyed one after them is a re-hash, never an old entry;
* the head (this machine's checkpoint, or an anchor given as `--head COUNT:HASH`): the newest
  entries cut off, or the whole chain rewritten;
* the replay: a story, event, member, sprint, link... deleted, added or edited in its table
  without an entry.

The walk reads plain rows in id order, streamed, and keeps only the replayed rows in memory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, Text, cast, select, type_coerce

from mlboard.store import audit_head
from mlboard.store.audit import GENESIS, legacy_content, signed_content
from mlboard.store.audit_head import CheckpointError, Head
from mlboard.store.audit_key import ENV, AuditKey
from mlboard.store.audit_replay import Replay
from mlboard.store.audit_rows import utc_text
from mlboard.store.tables import AuditEntry
from mlboard.wording import plural

_ENTRIES = AuditEntry.__table__  # type: ignore[attr-defined]
_BATCH = 5000


@dataclass(frozen=True)
class Finding:
    kind: str  # chain, content, rehashed, key, head, deleted, added, changed
    message: str  # one line naming the first occurrence
    entry_id: int | None = None  # the entry to show, for the chain's own findings


@dataclass
class Report:
    checked: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS))
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was checked against what; warnings

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _Walk:
    """What the walk saw: the first break of each kind, and the facts the notes report."""

    key: AuditKey | None
    wanted: set[int]  # positions whose hash a head check needs
    report: Report
    replay: Replay = field(default_factory=Replay)
    hashes: dict[int, str] = field(default_factory=lambda: {0: GENESIS})
    first: dict[str, Finding] = field(default_factory=dict)
    unkeyed: list[int] = field(default_factory=list)  # ids of entries from before keyed audit
    other_keys: dict[str, int] = field(default_factory=dict)  # key id -> first entry
    keyed: bool = False

    def found(self, kind: str, message: str, entry_id: int | None = None) -> None:
        self.first.setdefault(kind, Finding(kind, message, entry_id))

    def broken(self, kind: str, entry_id: int, reason: str) -> None:
        self.found(kind, f"audit trail broken at entry {entry_id}: {reason}", entry_id)


def verify(connection: Connection, key: AuditKey | None, anchor: Head | None = None) -> Report:
    """Every check; `anchor` replaces this machine's checkpoint as the head to compare with."""
    report = Report()
    source, expected = _expected_head(connection, anchor, report)
    walk = _Walk(key, {expected.entries} if expected else set(), report)
    _walk(connection, walk)
    findings = list(walk.first.values())
    findings += _key_findings(walk)
    if expected is not None:
        findings += _head_findings(walk, source, expected)
    findings += _replay(connection, walk)
    order = ("chain", "content", "rehashed", "key", "head", "deleted", "added", "changed")
    report.findings = sorted(findings, key=lambda finding: order.index(finding.kind))
    if walk.unkeyed:
        first, last = walk.unkeyed[0], walk.unkeyed[-1]
        report.notes.append(
            f"unkeyed: {plural(len(walk.unkeyed), 'entry')} (#{first}–#{last}) written before "
            "keyed audit; their plain SHA-256 shows edits, not a re-computed chain"
        )
    return report


def _walk(connection: Connection, walk: _Walk) -> None:
    """One pass in id order. Keyed entries are checked on their stored text; only `after` is
    parsed, for the replay (and an old entry's values, for its JSON hash)."""
    c = _ENTRIES.c
    query = select(
        c.id, c.hash, type_coerce(c.at, String), c.actor, c.action, c.entity, c.key,
        cast(c.before, Text), cast(c.after, Text), c.prev_hash, c.key_id, c.row_id,
    ).order_by(c.id).execution_options(yield_per=_BATCH)  # fmt: skip
    previous, position, key, key_id, entry_id = GENESIS, 0, walk.key, None, None
    our_id = key.id if key is not None else None
    for (entry_id, digest, stored_at, actor, action, entity, name, before, after, prev_hash,
         key_id, row_id) in connection.execute(query):  # fmt: skip
        at = utc_text(stored_at)
        position += 1
        if prev_hash != previous:
            walk.broken("chain", entry_id, "it does not follow the entry before it "
                        "(an entry was deleted or moved)")  # fmt: skip
        if key_id is None:
            if walk.keyed:
                walk.broken("rehashed", entry_id, "it is unkeyed but follows keyed entries "
                            "(the chain was re-hashed)")  # fmt: skip
            else:
                walk.unkeyed.append(entry_id)
                values = (_parsed(before), _parsed(after), prev_hash)
                legacy = legacy_content(at, actor, action, entity, name, *values)
                if hashlib.sha256(legacy).hexdigest() != digest:
                    walk.broken("content", entry_id, "its content does not match its hash")
        else:
            walk.keyed = True
            if key_id == our_id:
                assert key is not None
                signed = signed_content(
                    at, actor, action, entity, name, before, after, prev_hash, key_id, row_id
                )
                if key.sign(signed) != digest:
                    walk.broken("content", entry_id, "its content does not match its hash")
            else:
                walk.other_keys.setdefault(key_id, entry_id)
            if row_id is not None:
                changed = _parsed(after) if action != "delete" else None
                walk.replay.apply(action, entity, row_id, name, changed)
        previous = digest
        if position in walk.wanted:
            walk.hashes[position] = previous
    walk.report.checked = position
    walk.report.head = Head(position, previous, key_id, entry_id)


def _parsed(text: str | None) -> Any:
    """A stored JSON text; text that does not parse (a hand edit) counts as no values."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _key_findings(walk: _Walk) -> list[Finding]:
    if not walk.other_keys:
        return []
    first = min(walk.other_keys.values())
    ids = ", ".join(sorted(walk.other_keys))
    whose = "another key" if walk.key is not None else "a key this machine does not have"
    return [
        Finding(
            "key",
            f"entries from #{first} on were written with {whose} (id {ids}); set {ENV} to the "
            "team's key",
            first,
        )
    ]


def _expected_head(
    connection: Connection, anchor: Head | None, report: Report
) -> tuple[str, Head | None]:
    if anchor is not None:
        report.notes.append(f"head: checked against the anchored head {anchor.anchor}")
        return "the anchor", anchor
    path = audit_head.checkpoint_path(connection.engine.url)
    try:
        stored = audit_head.load(path)
    except CheckpointError as error:
        report.notes.append(f"head: not checked: {error}")
        return "", None
    if stored is None:
        report.notes.append(
            "head: not checked: this machine has no checkpoint of this database (anchor one "
            "with `mlboard audit head`, check it with `audit verify --head`)"
        )
        return "", None
    report.notes.append(f"head: checked against this machine's checkpoint {_short(path)} "
                        f"({plural(stored.entries, 'entry')})")  # fmt: skip
    return "this machine's checkpoint", stored


def _head_findings(walk: _Walk, source: str, expected: Head) -> list[Finding]:
    count = walk.report.checked
    if count < expected.entries:
        missing = expected.entries - count
        were = "was" if missing == 1 else "were"
        return [Finding("head", f"the chain has {plural(count, 'entry')} but {source} recorded "
                        f"{expected.entries}: the newest {plural(missing, 'entry')} {were} "
                        "deleted")]  # fmt: skip
    if walk.hashes.get(expected.entries) != expected.head:
        return [Finding("head", f"entry {expected.entries} of the chain is not the head {source} "
                        "recorded: the chain was rewritten up to it")]  # fmt: skip
    return []


def _replay(connection: Connection, walk: _Walk) -> list[Finding]:
    if walk.unkeyed and not walk.keyed:
        walk.report.notes.append(
            "replay: not done, the trail has no keyed entries yet (the next change to the "
            "board records a baseline of every row)"
        )
        return []
    differences, compared = walk.replay.compare(connection)
    if not differences:
        walk.report.notes.append("replay: the board's audited tables match the trail "
                                 f"({plural(compared, 'row')})")  # fmt: skip
    return [Finding(d.kind, d.message) for d in differences]


def _short(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
