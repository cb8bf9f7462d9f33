"""`audit verify` catches what someone with only database access can do: cut the newest entries
off, re-compute the chain, re-key it, or change the board's rows without an entry."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.services.audit import audit_entries, chain_head, verify_audit
from mlboard.services.members import add_member
from mlboard.services.sprints import add_sprint
from mlboard.services.stories import create_story, edit_story
from mlboard.services.sync import sync
from mlboard.store import audit_head
from mlboard.store.audit_key import AuditKey, existing_key

from audit_tampering import delete_newest, rewrite_chain, tamper
from mlflow_stores import empty_store

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


def kinds(result) -> list[str]:
    return [finding.kind for finding in result.findings]


def messages(result) -> list[str]:
    return [finding.message for finding in result.findings]


@pytest.fixture
def board(workspace, tmp_path):
    """Members, sprints, stories with history and a run linked by its tag: every replayed table."""
    add_member(workspace, "ana", "Ana")
    add_member(workspace, "bo", "Bo")
    add_sprint(workspace, "S1")
    add_sprint(workspace, "S2")
    create_story(workspace, "Churn", {"assignee": "ana", "sprint": "S1"})
    create_story(workspace, "Drift")
    edit_story(workspace, "ML-1", {"status": "todo"})
    store = empty_store(tmp_path / "mlflow")
    workspace.run_id = store.run("churn", "a", story="ML-1")
    sync(workspace, store.uri)
    assert verify_audit(workspace).ok
    return workspace


# --- truncation --------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 3, None], ids=["one", "three", "all"])
def test_cutting_off_the_newest_entries_is_caught_by_the_checkpoint(board, cut):
    total = chain_head(board).entries
    delete_newest(board, cut)
    result = verify_audit(board)
    missing = cut or total
    assert "head" in kinds(result)
    newest = "1 entry was" if missing == 1 else f"{missing} entries were"
    left = "entry" if total - missing == 1 else "entries"
    assert (
        f"the chain has {total - missing} {left} but this machine's checkpoint recorded {total}: "
        f"the newest {newest} deleted"
    ) in messages(result)


@pytest.mark.parametrize("cut", [1, 3, None], ids=["one", "three", "all"])
def test_cutting_off_the_newest_entries_is_caught_by_an_anchored_head(board, cut):
    anchor = chain_head(board)
    audit_head.checkpoint_path(board.engine.url).unlink()  # another machine: no checkpoint
    delete_newest(board, cut)
    without = verify_audit(board)
    assert "head" not in kinds(without)
    assert any("no checkpoint of this database" in note for note in without.notes)
    result = verify_audit(board, f"{anchor.entries}:{anchor.head}")
    assert "head" in kinds(result)
    assert f"but the anchor recorded {anchor.entries}: the newest" in " ".join(messages(result))


def test_a_later_write_does_not_paper_over_a_truncation(board, caplog):
    delete_newest(board, 3)
    create_story(board, "After the cut")
    assert "not updated: the chain no longer holds the head it recorded" in caplog.text
    assert "head" in kinds(verify_audit(board))


def test_cli_verify_exits_1_naming_the_truncation(board):
    anchor = chain_head(board)
    delete_newest(board, 1)
    runner = CliRunner()
    db = board.settings.database
    local = runner.invoke(app, ["--db", db, "audit", "verify"])
    assert local.exit_code == 1 and "the newest 1 entry was deleted" in local.output
    anchored = runner.invoke(app, ["--db", db, "audit", "verify", "--head", anchor.anchor])
    assert anchored.exit_code == 1 and "but the anchor recorded" in anchored.output


# --- re-hashing and keys -----------------------------------------------------------------------


def test_an_entry_rewritten_with_the_public_sha256_is_caught(board):
    def forge(entry):
        if entry["id"] == 3:
            entry["actor"] = "mallory"
        entry["key_id"] = None  # what a plain SHA-256 chain looks like

    rewrite_chain(board, forge, start=3)
    result = verify_audit(board)
    assert (result.broken_at, kinds(result)[0]) == (3, "rehashed")
    assert "unkeyed but follows keyed entries (the chain was re-hashed)" in messages(result)[0]


def test_a_whole_chain_rewritten_with_the_public_sha256_is_caught_by_the_head(board):
    rewrite_chain(board, lambda entry: entry.update(key_id=None))
    result = verify_audit(board)
    assert kinds(result) == ["head"]
    assert "is not the head this machine's checkpoint recorded" in messages(result)[0]


def test_an_entry_rehashed_with_sha256_but_keeping_its_key_id_is_caught(board):
    rewrite_chain(board, lambda entry: entry.update(actor="mallory"), start=3)
    result = verify_audit(board)
    assert (result.broken_at, kinds(result)) == (3, ["content", "head"])


def test_a_chain_re_keyed_with_another_key_is_reported_as_another_key(board):
    ours, mallory = existing_key(), AuditKey(b"not the team key", "test")
    rewrite_chain(
        board, lambda entry: entry.update(actor="mallory", key_id=mallory.id), key=mallory
    )
    result = verify_audit(board)
    assert kinds(result) == ["key", "head"]
    assert messages(result)[0].startswith(
        f"entries from #1 on were written with another key (id {mallory.id})"
    )
    assert ours.id not in messages(result)[0]


def test_writers_with_different_keys_are_reported_as_another_key(board, monkeypatch):
    monkeypatch.setenv("MLBOARD_AUDIT_KEY", "bob's own key")
    bob = existing_key()
    create_story(board, "Bob's story")
    first_of_bob = audit_entries(board)[-2].id
    monkeypatch.delenv("MLBOARD_AUDIT_KEY")
    result = verify_audit(board)
    assert kinds(result) == ["key"]
    assert messages(result) == [
        f"entries from #{first_of_bob} on were written with another key (id {bob.id}); "
        "set MLBOARD_AUDIT_KEY to the team's key"
    ]


# --- rows changed behind mlboard's back --------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("DELETE FROM story WHERE key = 'ML-2'",
         "story ML-2: deleted from the database without an audit entry"),
        ("DELETE FROM storyevent WHERE id = (SELECT max(id) FROM storyevent)",
         "story event #{event} of ML-1 (run): deleted from the database without an audit entry"),
        ("DELETE FROM member WHERE handle = 'bo'",
         "member bo: deleted from the database without an audit entry"),
        ("DELETE FROM sprint WHERE name = 'S2'",
         "sprint S2: deleted from the database without an audit entry"),
        ("DELETE FROM storyrun",
         "link of ML-1 to run {run}: deleted from the database without an audit entry"),
        ("UPDATE member SET name = 'Mallory' WHERE handle = 'ana'",
         "member ana: name differs from the audit trail"),
        ("UPDATE story SET status = 'done', points = 1 WHERE key = 'ML-1'",
         "story ML-1: status, points differ from the audit trail"),
        ("INSERT INTO sprint (name, goal, state, created_at) VALUES"
         " ('S9', '', 'future', '2026-11-25 09:00:00')",
         "sprint S9: in the database without an audit entry"),
    ],
    ids=["story", "event", "member", "sprint", "link", "member-name", "story-fields", "added"],
)  # fmt: skip
def test_rows_changed_directly_in_the_database_are_named(board, statement, expected):
    with board.reading() as session:
        event = session.execute(text("SELECT max(id) FROM storyevent")).scalar()
    tamper(board, statement)
    result = verify_audit(board)
    assert not result.ok
    expected = expected.format(event=event, run=board.run_id)
    assert any(message.startswith(expected) for message in messages(result)), messages(result)
    assert {"chain", "content", "head"}.isdisjoint(kinds(result))  # the trail itself is intact
