"""The audit trail records every write, keyed and chained; a hand-edited entry is detected."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.services.data.lineage_ingest import ingest_payload
from mlboard.services.data.lineage_server import PATH, make_server
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.audit import audit_entries, chain_head, verify_audit
from mlboard.services.planning.sprints import add_sprint
from mlboard.services.stories.records import create_story, edit_story
from mlboard.services.team.members import add_member
from mlboard.services.workspace import Workspace
from mlboard.store import audit_head, migrations
from mlboard.store.audit import GENESIS, entry_hash
from mlboard.store.audit_key import existing_key, key_file
from mlboard.store.engine import create_database_engine, database_url, open_database

from audit_tampering import tamper
from mlflow_stores import empty_store

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


def kinds(result) -> list[str]:
    return [finding.kind for finding in result.findings]


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
        ("story", "insert", "ML-1"),
        ("storyevent", "insert", "ML-1"),
        ("storyevent", "insert", "ML-1"),
        ("story", "update", "ML-1"),
    ]
    event, story_update = entries[-2:]
    assert (story_update.before, story_update.after) == ({"points": 3.0}, {"points": 5.0})
    assert (event.actor, event.at) == ("ana", clock())
    assert (event.after["field"], event.after["old"], event.after["new"]) == ("points", "3", "5")
    assert [e.key for e in audit_entries(workspace, story="ml-1")] == ["ML-1"] * 4


def test_links_made_by_sync_are_audited(workspace, tmp_path):
    create_story(workspace, "Churn")
    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "a", story="ML-1")
    sync(workspace, store.uri)
    entries = audit_entries(workspace)
    [link] = [e for e in entries if e.entity == "storyrun"]
    assert (link.key, link.after["how"], link.after["active"]) == ("ML-1", "tag", True)
    assert ("run", run_id) in [
        (e.after["field"], e.after["new"]) for e in entries if e.entity == "storyevent"
    ]
    assert verify_audit(workspace).ok


def test_the_chain_verifies_and_a_hand_edited_entry_is_detected(workspace):
    for title in ("a", "b", "c"):
        create_story(workspace, title)
    edit_story(workspace, "ML-2", {"title": "b2"})
    result = verify_audit(workspace)
    assert (result.ok, result.checked) == (True, 8)
    tamper(workspace, "UPDATE auditentry SET actor = 'mallory' WHERE id = 2")
    broken = verify_audit(workspace)
    assert (broken.ok, broken.broken_at, kinds(broken)) == (False, 2, ["content"])
    assert "broken at entry 2: its content does not match its hash" in broken.findings[0].message


def test_a_deleted_middle_entry_breaks_the_chain(workspace):
    for title in ("a", "b", "c"):
        create_story(workspace, title)
    tamper(workspace, "DELETE FROM auditentry WHERE id = 2")  # the first story's created event
    broken = verify_audit(workspace)
    assert (broken.broken_at, kinds(broken)[0]) == (3, "chain")


def test_entries_are_keyed_with_a_key_file_made_on_the_first_write(workspace):
    assert existing_key() is None
    create_story(workspace, "a")
    path = key_file()
    assert path.stat().st_mode & 0o777 == 0o600
    secret = path.read_text().strip()
    assert len(secret) == 64 and int(secret, 16) >= 0  # 32 random bytes, hex
    [story_entry, _] = audit_entries(workspace)
    with workspace.reading() as session:
        key_ids = set(session.execute(text("SELECT key_id FROM auditentry")).scalars())
    assert key_ids == {existing_key().id} and secret not in str(key_ids)
    assert story_entry.after["title"] == "a"


def test_the_environment_key_wins_and_no_key_file_is_made(workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_AUDIT_KEY", "team secret")
    create_story(workspace, "a")
    assert not key_file().exists()
    assert verify_audit(workspace).ok
    assert chain_head(workspace).key_id == existing_key().id


def test_every_write_moves_the_checkpoint_after_it_commits(workspace):
    create_story(workspace, "a")
    path = audit_head.checkpoint_path(workspace.engine.url)
    first = json.loads(path.read_text())
    create_story(workspace, "b")
    second = json.loads(path.read_text())
    head = chain_head(workspace)
    assert (first["entries"], second["entries"]) == (2, 4)
    assert (second["head"], second["key_id"]) == (head.head, head.key_id)
    assert second["database"] == head.database and "board" in head.database


def test_a_checkpoint_that_cannot_be_written_is_a_warning_not_a_failed_action(
    workspace, monkeypatch, tmp_path, caplog
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    with caplog.at_level(logging.WARNING, logger="mlboard.audit"):
        create_story(workspace, "a")
    assert "audit checkpoint" in caplog.text and "not updated" in caplog.text
    assert [e.entity for e in audit_entries(workspace)] == ["story", "storyevent"]


def test_pipelines_created_by_ingest_and_by_the_http_endpoint_are_audited(workspace, tmp_path):
    def event(job: str) -> bytes:
        return json.dumps({
            "eventType": "COMPLETE", "eventTime": "2026-11-25T06:00:00Z",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "etl", "name": job},
        }).encode()  # fmt: skip

    events = tmp_path / "events.json"
    events.write_bytes(event("daily"))
    runner = CliRunner()
    db = workspace.settings.database
    result = runner.invoke(app, ["--db", db, "pipeline", "ingest", str(events)])
    assert result.exit_code == 0, result.output

    server = make_server(workspace, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import requests

        response = requests.post(server.url + PATH, data=event("hourly"), timeout=10,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 200, response.text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    ingest_payload(workspace, event("weekly"))
    pipelines = [(e.action, e.key) for e in audit_entries(workspace) if e.entity == "pipeline"]
    assert pipelines == [("insert", f"etl/{job}") for job in ("daily", "hourly", "weekly")]
    assert verify_audit(workspace).ok


def test_the_sample_team_verifies_clean(sample_workspace):
    result = verify_audit(sample_workspace)
    assert result.ok, [finding.message for finding in result.findings]
    assert result.checked > 100
    assert any(note.startswith("replay: the board's audited tables match") for note in result.notes)


def test_cli_lists_verifies_and_prints_the_head(workspace, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    create_story(workspace, "[red]x")
    runner = CliRunner()
    db = workspace.settings.database
    listed = json.loads(runner.invoke(app, ["--db", db, "audit", "--format", "json"]).output)
    assert listed[0]["key"] == "ML-1" and listed[0]["actor"] == "tester"
    csv_text = runner.invoke(app, ["--db", db, "audit", "--format", "csv"]).output
    assert csv_text.splitlines()[0] == "id,at,actor,action,entity,key,before,after"
    ok = runner.invoke(app, ["--db", db, "audit", "verify"])
    assert ok.exit_code == 0 and "2 entries verified" in ok.output
    assert "checked against this machine's checkpoint" in ok.output

    head = json.loads(runner.invoke(app, ["--db", db, "audit", "head", "--format", "json"]).output)
    assert set(head) == {"entries", "head", "key_id", "database"}
    assert head["entries"] == 2 and len(head["head"]) == 64
    text_head = runner.invoke(app, ["--db", db, "audit", "head"]).output
    assert f"anchor    2:{head['head']}" in text_head
    anchored = runner.invoke(app, ["--db", db, "audit", "verify", "--head", f"2:{head['head']}"])
    assert anchored.exit_code == 0 and "anchored head" in anchored.output, anchored.output
    wrong = runner.invoke(app, ["--db", db, "audit", "verify", "--head", "2:xyz"])
    assert isinstance(wrong.exception, UserError) and "COUNT:HASH" in str(wrong.exception)

    tamper(workspace, "UPDATE auditentry SET after = '{}' WHERE id = 1")
    broken = runner.invoke(app, ["--db", db, "audit", "verify"])
    assert broken.exit_code == 1
    assert "audit trail broken at entry 1: its content does not match its hash" in broken.output


LEGACY_ROWS = (
    "INSERT INTO member (id, handle, name, role, email, points_per_day, active, created_at)"
    " VALUES (1, 'ana', 'Ana', '', '', 1.0, 1, '2026-01-02 08:00:00.000000')",
    "INSERT INTO story (id, key, number, title, description, kind, status, blocked,"
    " blocked_reason, points, rank, sensitivity, assignee_id, created_at, updated_at) VALUES"
    " (1, 'ML-1', 1, 'Tune the ranker', '', 'experiment', 'todo', 0, '', 3.0, 1.0, 'none', 1,"
    " '2026-01-05 09:00:00.000000', '2026-01-05 09:00:00.000000')",
    "INSERT INTO storyevent (id, story_id, at, actor, field, old, new) VALUES"
    " (1, 1, '2026-01-05 09:00:00.000000', 'ana', 'created', NULL, NULL)",
)


def test_a_board_from_before_keyed_audit_verifies_then_records_a_baseline(tmp_path):
    """Old entries stay verifiable as unkeyed; the first keyed write records every row it finds
    (here it edits an old story), so that rows from before are replayed, and checked, from then
    on."""
    path = tmp_path.resolve() / "old.db"
    engine = create_database_engine(database_url(str(path)))
    migrations.upgrade(engine, "0008")
    legacy = {"at": datetime(2026, 1, 2, 8, 0, tzinfo=UTC), "actor": "ana", "action": "insert",
              "entity": "member", "key": "ana", "before": None, "after": {"handle": "ana"},
              "prev_hash": GENESIS, "key_id": None}  # fmt: skip
    with engine.begin() as connection:
        for statement in LEGACY_ROWS:
            connection.execute(text(statement))
        connection.execute(
            text("INSERT INTO auditentry (at, actor, action, entity, key, before, after,"
                 " prev_hash, hash) VALUES ('2026-01-02 08:00:00.000000', 'ana', 'insert',"
                 " 'member', 'ana', NULL, :after, :prev, :hash)"),
            {"after": json.dumps(legacy["after"]), "prev": GENESIS, "hash": entry_hash(legacy)},
        )  # fmt: skip
    engine.dispose()
    ws = Workspace(open_database(str(path)), Settings(str(path), "test", actor="tester"))
    try:
        before = verify_audit(ws)
        assert before.ok, before.findings
        assert "unkeyed: 1 entry (#1–#1) written before keyed audit" in before.notes[-1]
        assert any(note.startswith("replay: not done") for note in before.notes)

        edit_story(ws, "ML-1", {"points": "5"})
        entries = audit_entries(ws)
        assert [(e.action, e.entity, e.key) for e in entries[1:]] == [
            ("baseline", "story", "ML-1"),
            ("baseline", "storyevent", "ML-1"),
            ("baseline", "member", "ana"),
            ("insert", "storyevent", "ML-1"),
            ("update", "story", "ML-1"),
        ]
        assert (entries[1].after["title"], entries[3].after["name"]) == ("Tune the ranker", "Ana")
        assert verify_audit(ws).ok
        tamper(ws, "UPDATE member SET name = 'Mallory' WHERE handle = 'ana'")
        tamper(ws, "UPDATE story SET title = 'Changed' WHERE key = 'ML-1'")
        assert [f.message for f in verify_audit(ws).findings] == [
            "story ML-1: title differs from the audit trail (and 1 more)"
        ]
    finally:
        ws.close()
