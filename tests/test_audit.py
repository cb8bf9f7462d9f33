"""The audit trail records every write, chained; a hand-edited row is detected."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.services.audit import audit_entries, verify_audit
from mlboard.services.members import add_member
from mlboard.services.sprints import add_sprint
from mlboard.services.stories import create_story, edit_story
from mlboard.services.sync import sync

from mlflow_stores import empty_store

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


def tamper(workspace, statement: str) -> None:
    """Change the stored trail behind mlboard's back, as someone with database access could."""
    from sqlalchemy import text

    with workspace.engine.begin() as connection:
        connection.execute(text(statement))


def test_story_changes_and_other_writes_are_audited_with_who_and_when(workspace, clock):
    add_member(workspace, "ana", "Ana")
    add_sprint(workspace, "S1")
    clock.advance(hours=1)
    create_story(workspace, "Churn", {"points": "3"})
    clock.advance(hours=1)
    workspace.actor = "ana"
    edit_story(workspace, "ML-1", {"points": "5"})
    entries = audit_entries(workspace)
    assert [(e.entity, e.action, e.key) for e in entries] == [
        ("member", "insert", "ana"),
        ("sprint", "insert", "S1"),
        ("storyevent", "insert", "ML-1"),
        ("storyevent", "insert", "ML-1"),
    ]
    last = entries[-1]
    assert (last.actor, last.at) == ("ana", clock())
    assert (last.after["field"], last.after["old"], last.after["new"]) == ("points", "3", "5")
    assert [e.key for e in audit_entries(workspace, story="ml-1")] == ["ML-1", "ML-1"]


def test_links_made_by_sync_are_audited(workspace, tmp_path):
    create_story(workspace, "Churn")
    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "a", story="ML-1")
    sync(workspace, store.uri)
    links = [e for e in audit_entries(workspace) if e.entity == "storyrun"]
    assert [(e.key, e.after["run_id"]) for e in links] == [("ML-1", run_id)]
    assert verify_audit(workspace).ok


def test_the_chain_verifies_and_a_hand_edited_row_is_detected(workspace):
    for title in ("a", "b", "c"):
        create_story(workspace, title)
    edit_story(workspace, "ML-2", {"title": "b2"})
    result = verify_audit(workspace)
    assert (result.ok, result.checked) == (True, 4)
    tamper(workspace, "UPDATE auditentry SET actor = 'mallory' WHERE id = 2")
    broken = verify_audit(workspace)
    assert (broken.ok, broken.broken_at) == (False, 2)
    assert "content" in (broken.reason or "")


def test_a_deleted_entry_breaks_the_chain(workspace):
    for title in ("a", "b", "c"):
        create_story(workspace, title)
    tamper(workspace, "DELETE FROM auditentry WHERE id = 2")
    assert verify_audit(workspace).broken_at == 3


def test_cli_lists_and_verifies(workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    create_story(workspace, "[red]x")
    runner = CliRunner()
    db = workspace.settings.database
    listed = json.loads(runner.invoke(app, ["--db", db, "audit", "--format", "json"]).output)
    assert listed[0]["key"] == "ML-1" and listed[0]["actor"] == "tester"
    csv_text = runner.invoke(app, ["--db", db, "audit", "--format", "csv"]).output
    assert csv_text.splitlines()[0] == "id,at,actor,action,entity,key,before,after"
    ok = runner.invoke(app, ["--db", db, "audit", "verify"])
    assert ok.exit_code == 0 and "1 entry verified" in ok.output
    tamper(workspace, "UPDATE auditentry SET after = '{}' WHERE id = 1")
    assert runner.invoke(app, ["--db", db, "audit", "verify"]).exit_code == 1
