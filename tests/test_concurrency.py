"""One database, many writers at once: people, a sync job, a lineage endpoint, an open TUI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from textual.pilot import Pilot

from mlboard.config import Settings
from mlboard.integrations.lineage_server import make_server
from mlboard.services.audit import audit_entries
from mlboard.services.evidence import story_evidence
from mlboard.services.experiments import run_count
from mlboard.services.linking import pending_tags
from mlboard.services.pipeline_status import pipeline_statuses
from mlboard.services.sprints import add_sprint, start_sprint
from mlboard.services.stories import create_story, edit_story, get_story, list_stories
from mlboard.services.sync import sync
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database
from mlboard.tui.app import MlboardApp

import mlflow_stores
from mlflow_stores import empty_store
from processes import child_env
from write_turns import WAIT, write_turns

BACKENDS = ("sqlite", "postgresql")


def mlboard_process(
    workspace: Workspace, folder: Path, *args: str, **env: str
) -> subprocess.Popen[str]:
    """`mlboard --db <the workspace's database> ARGS` as another person's process."""
    return subprocess.Popen(
        [sys.executable, "-m", "mlboard", "--db", workspace.settings.database, *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(folder, **{"MLBOARD_USER": "cli", **env}),
    )


def second_workspace(workspace: Workspace, actor: str) -> Workspace:
    """Another person's process: its own engine and connections on the same database."""
    settings = Settings(workspace.settings.database, "test", actor=actor)
    return Workspace(open_database(settings.database), settings, workspace.clock)


def test_edits_of_different_fields_both_survive(backend, workspace):
    """Ana's edit holds the write lock while Bob's asks for it: Bob's edit waits, then reads the
    story with Ana's change in it, so neither change overwrites the other."""
    create_story(workspace, "Churn", {"kind": "data", "points": "3"})
    other = second_workspace(workspace, "bob")
    with write_turns(workspace.engine, other.engine) as turns:
        turns.hold_commit("ana", until_asked_by="bob")
        ana = threading.Thread(
            target=edit_story, args=(workspace, "ML-1", {"points": "8"}), name="ana"
        )
        bob = threading.Thread(
            target=edit_story, args=(other, "ML-1", {"title": "Churn v2"}), name="bob"
        )
        ana.start()
        turns.wait_for("ana", "holds")
        bob.start()
        for thread in (ana, bob):
            thread.join(timeout=WAIT)
    log = turns.log
    assert turns.of("ana") == turns.of("bob") == ["asks", "holds", "commits"], log
    assert log.index(("bob", "asks")) < log.index(("ana", "commits")) < log.index(("bob", "holds"))
    story = get_story(workspace, "ML-1")
    assert (story.points, story.title) == (8.0, "Churn v2")
    other.close()


def test_the_later_edit_of_one_field_wins_and_both_are_audited(backend, workspace, clock):
    create_story(workspace, "Churn", {"points": "3"})
    other = second_workspace(workspace, "bob")
    edit_story(workspace, "ML-1", {"points": "5"})
    clock.advance(minutes=1)
    edit_story(other, "ML-1", {"points": "8"})
    assert get_story(workspace, "ML-1").points == 8
    changes = [
        (e.actor, e.after["old"], e.after["new"])
        for e in audit_entries(workspace, story="ML-1")
        if e.after and e.after.get("field") == "points"
    ]
    assert changes == [("tester", "3", "5"), ("bob", "5", "8")]
    other.close()


@asynccontextmanager
async def open_board(
    workspace: Workspace, **fields: str
) -> AsyncIterator[tuple[MlboardApp, Pilot[None]]]:
    """The app on an active sprint of one story, ML-1 (with `fields`), drawn once."""
    add_sprint(workspace, "S1")
    create_story(workspace, "Churn", {"kind": "data", "sprint": "S1", **fields})
    start_sprint(workspace, "S1")
    app = MlboardApp(workspace)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause()
        yield app, pilot


async def test_the_open_board_picks_up_others_changes(backend, workspace):
    async with open_board(workspace) as (app, pilot):
        other = second_workspace(workspace, "bob")
        edit_story(other, "ML-1", {"status": "in_progress"})
        app.poll_changes()  # what the app's timer does every CHANGE_POLL_SECONDS
        await pilot.pause()
        column = app.screen.query_one("#column-in_progress")
        assert [story.key for story in column.stories] == ["ML-1"]
        other.close()


async def test_a_change_made_in_the_app_is_not_reloaded_again_by_the_poll(backend, workspace):
    async with open_board(workspace) as (app, _):
        edit_story(workspace, "ML-1", {"points": "5"})  # as a screen of this app does, then:
        app.data_changed()
        version = app.data_version
        app.poll_changes()
        assert app.data_version == version  # nothing new since the screens read
        other = second_workspace(workspace, "bob")
        edit_story(other, "ML-1", {"points": "8"})
        app.poll_changes()
        assert app.data_version == version + 1
        other.close()


async def test_a_card_moved_on_the_board_is_not_reloaded_again_by_the_poll(backend, workspace):
    async with open_board(workspace, status="todo") as (app, pilot):
        app.screen.query_one("#cards-todo").focus()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert get_story(workspace, "ML-1").status == "in_progress"
        version = app.data_version  # the planning screen, when shown, reads again
        app.poll_changes()
        assert app.data_version == version


def test_cli_edits_a_sync_and_lineage_events_at_once(backend, workspace, tmp_path):
    """Everything writes together; nothing is lost, nobody sees 'database is locked'."""
    for number in range(1, 7):
        create_story(workspace, f"Story {number}", {"kind": "data"})
    store = empty_store(tmp_path / "mlflow")
    for index in range(40):
        store.run("churn", f"run-{index}", story=f"ML-{index % 6 + 1}", start=index)
    server = make_server(workspace, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/lineage"

    posted: list[int | Exception] = []

    def post_events() -> None:
        import urllib.request

        started = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
        for index in range(30):
            event = {
                "eventType": "COMPLETE",
                "eventTime": (started + timedelta(minutes=index)).isoformat(),
                "run": {"runId": str(uuid.UUID(int=index + 1))},
                "job": {"namespace": "airflow", "name": f"features_{index % 3}"},
                "producer": "https://example.com/tests",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            }
            request = urllib.request.Request(
                url, json.dumps(event).encode(), {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    posted.append(response.status)
            except Exception as error:  # seen by the test below, not lost with the thread
                posted.append(error)

    def cli(*args: str) -> subprocess.Popen[str]:
        return mlboard_process(workspace, tmp_path, *args, MLBOARD_SYNC_PAGE_SIZE="5")

    poster = threading.Thread(target=post_events)
    poster.start()
    processes = [cli("sync", "--tracking-uri", store.uri, "--no-history")]
    processes += [cli("story", "edit", f"ML-{n}", "--points", str(n)) for n in range(1, 7)]
    processes += [cli("story", "move", f"ML-{n}", "in_progress") for n in range(1, 7)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in processes]
    poster.join(timeout=300)
    server.shutdown()
    server.server_close()

    assert posted == [200] * 30
    assert all(code == 0 for code, _ in results), results
    assert not any("locked" in err for _, err in results)
    stories = {s.key: s for s in list_stories(workspace)}
    assert {k: (s.points, s.status) for k, s in stories.items()} == {
        f"ML-{n}": (float(n), "in_progress") for n in range(1, 7)
    }
    assert sum(status.runs for status in pipeline_statuses(workspace)) == 30
    assert run_count(workspace) == 40


class HeldTags:
    """The front door of a real tracking server, on 127.0.0.1: every request is passed on,
    except `set-tag` calls while `holding`: those are held, `arrived` is set, and the caller
    waits until `answer_held` answers them 503 (a server that hangs, then fails)."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.holding = upstream, False
        self.arrived, self.released = threading.Event(), threading.Event()
        door = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                door.serve(self)

            do_POST = do_GET

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if self.holding and handler.path.endswith("/runs/set-tag"):
            self.arrived.set()
            self.released.wait()
            status, payload = 503, b'{"error_code": "TEMPORARILY_UNAVAILABLE"}'
        else:
            request = urllib.request.Request(
                self.upstream + handler.path,
                data=body if handler.command == "POST" else None,
                method=handler.command,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status, payload = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, payload = error.code, error.read()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def answer_held(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with mlflow_stores.mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as uri:
        yield uri


def test_a_hanging_tracking_server_holds_up_no_other_writer(
    backend, workspace, tmp_path, mlflow_server
):
    """`story link` commits the link, then waits on MLflow for the tag; meanwhile another
    person's `story add` goes through. The tag that failed is pending until a sync writes it."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server)
    run_id = client.create_run(client.create_experiment(f"churn-{backend}")).info.run_id
    client.set_terminated(run_id)
    create_story(workspace, "Churn", {"kind": "experiment"})
    door = HeldTags(mlflow_server)
    link = None
    try:
        sync(workspace, door.url)
        door.holding = True
        link = mlboard_process(
            workspace, tmp_path, "story", "link", "ML-1", run_id, "--write-tag",
            MLFLOW_HTTP_REQUEST_TIMEOUT="3600", MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        )  # fmt: skip
        while not door.arrived.wait(timeout=1):
            assert link.poll() is None, link.communicate()
        # the link is stuck in MLflow's call: committed, visible, its tag pending
        assert run_id in {r.run_id for r in story_evidence(workspace, "ML-1").runs}
        assert pending_tags(workspace, door.url)[0].story_key == "ML-1"

        add = mlboard_process(workspace, tmp_path, "story", "add", "Fraud model")
        out, err = add.communicate(timeout=300)  # a guard: the old code waits on the lock
        assert (add.returncode, err) == (0, ""), out
        assert link.poll() is None  # still waiting on the server while `story add` finished
        assert get_story(workspace, "ML-2").title == "Fraud model"

        door.answer_held()
        out, err = link.communicate(timeout=300)
        assert link.returncode == 0, err
        assert out == f"linked run {run_id} to ML-1\n"
        assert err.startswith("warning: mlboard.story tag not written (cannot tag the run at")
        assert [tag.story_key for tag in pending_tags(workspace, door.url)] == ["ML-1"]

        door.holding = False
        assert sync(workspace, door.url).tags_pending == 0
        assert client.get_run(run_id).data.tags["mlboard.story"] == "ML-1"
        assert pending_tags(workspace, door.url) == []
    finally:
        door.close()
        if link is not None and link.poll() is None:
            link.kill()
            link.communicate()
