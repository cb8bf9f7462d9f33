"""The OpenLineage HTTP receiver, posted to by the real `openlineage-python` client.

The server runs in a thread on 127.0.0.1 with a free port; nothing leaves the machine.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    error_message_run,
    output_statistics_output_dataset,
    parent_run,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport
from sqlmodel import select

from mlboard.config import Settings
from mlboard.integrations.lineage_server import PATH, make_server
from mlboard.services.pipeline_status import pipeline_detail, pipeline_statuses
from mlboard.services.workspace import Workspace
from mlboard.store.engine import create_database_engine
from mlboard.store.tables import LineageEventSeen, PipelineRun

from hypothesis_profiles import examples
from lineage_files import DATA, needs_data

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both
TOKEN = "s3cret-token"
T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture
def serve(workspace):
    """Start a server (options passed through) in a thread; stop every one at the end."""
    servers = []

    def start(**options):
        server = make_server(workspace, "127.0.0.1", 0, **options)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def client_for(
    url: str, *, token: str | None = TOKEN, gzip_body: bool = False
) -> OpenLineageClient:
    """The client as a pipeline would configure it: `auth: {type: api_key}` sends a bearer."""
    config = HttpConfig.from_dict(
        {
            "url": url,
            "auth": {"type": "api_key", "apiKey": token} if token else {},
            "compression": "gzip" if gzip_body else None,
            "retry": {"total": 0},
            "timeout": 10,
        }
    )
    return OpenLineageClient(transport=HttpTransport(config))


def run_event(
    state: RunState,
    run_id: str,
    name: str,
    at: datetime,
    *,
    parent: tuple[str, str] | None = None,
    error: str | None = None,
    rows: int | None = None,
) -> RunEvent:
    facets: dict = {}
    if parent:
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent[0]),
            job=parent_run.Job(namespace="airflow", name=parent[1]),
        )
    if error:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python"
        )
    outputs = []
    if rows is not None:
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows)
        outputs = [
            OutputDataset(
                namespace="s3://lake", name="features", outputFacets={"outputStatistics": stats}
            )
        ]
    return RunEvent(
        eventType=state,
        eventTime=at.isoformat(),
        run=Run(runId=run_id, facets=facets),
        job=Job(namespace="airflow", name=name),
        producer="https://example.com/mlboard-tests",
        outputs=outputs,
    )


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None, *, method: str = "POST",
    path: str = PATH,
) -> tuple[int, object]:  # fmt: skip
    """A raw request, for what the client would never send; returns (status, JSON answer)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def stored_runs(workspace) -> dict[str, PipelineRun]:
    with workspace.reading() as session:
        return {run.external_run_id: run for run in session.exec(select(PipelineRun))}


# --- the real client -------------------------------------------------------------------------


@pytest.mark.parametrize("gzip_body", [False, True], ids=["plain", "gzip"])
def test_the_openlineage_client_posts_a_dag_run_with_its_token(serve, workspace, gzip_body):
    server = serve(token=TOKEN)
    client = client_for(server.url, gzip_body=gzip_body)
    dag, task = str(uuid.uuid4()), str(uuid.uuid4())
    client.emit(run_event(RunState.START, dag, "churn_dag", T0))
    client.emit(
        run_event(
            RunState.START,
            task,
            "churn_dag.features",
            T0 + timedelta(seconds=5),
            parent=(dag, "churn_dag"),
        )
    )
    client.emit(
        run_event(
            RunState.COMPLETE,
            task,
            "churn_dag.features",
            T0 + timedelta(minutes=3),
            parent=(dag, "churn_dag"),
            rows=5120,
        )
    )
    client.emit(
        run_event(
            RunState.FAIL, dag, "churn_dag", T0 + timedelta(minutes=4), error="task train failed"
        )
    )
    runs = stored_runs(workspace)
    assert (runs[task].state, runs[task].rows_out, runs[task].parent_run_id) == (
        "success",
        5120,
        dag,
    )
    assert (runs[dag].state, runs[dag].error_message) == ("failed", "task train failed")
    _, [shown] = pipeline_detail(workspace, "airflow/churn_dag")
    assert [child.run_id for child in shown.children] == [task]


def test_a_wrong_or_missing_token_is_a_401_and_stores_nothing(serve, workspace):
    server = serve(token=TOKEN)
    event = run_event(RunState.START, str(uuid.uuid4()), "job", T0)
    for client in (client_for(server.url, token="wrong"), client_for(server.url, token=None)):
        with pytest.raises(requests.HTTPError) as info:
            client.emit(event)
        assert info.value.response.status_code == 401
        assert info.value.response.json() == {"error": "missing or wrong bearer token"}
    assert stored_runs(workspace) == {}


def test_repeated_events_are_accepted_and_change_nothing(serve, workspace):
    server = serve()
    body = json.dumps({
        "eventType": "COMPLETE", "eventTime": "2026-11-25T06:00:00Z",
        "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "etl", "name": "daily"},
    }).encode()  # fmt: skip
    assert post(server.url, body, {"Content-Type": "application/json"}) == (
        200, {"status": "ok", "events": 1, "applied": 1, "repeated": 0},
    )  # fmt: skip
    assert post(server.url, body, {"Content-Type": "application/json"})[1]["repeated"] == 1
    assert len(stored_runs(workspace)) == 1


@needs_data
def test_the_shared_airflow_events_posted_one_by_one_roll_up(serve, workspace):
    server = serve()
    for path in sorted((DATA / "compat-airflow").glob("*.json")):
        status, answer = post(
            server.url, gzip.compress(path.read_bytes()), {"Content-Encoding": "gzip"}
        )
        assert (status, answer["applied"]) == (200, 1), answer
    statuses = {s.full_name: s for s in pipeline_statuses(workspace)}
    assert statuses["airflow/BQ"].last_state == "success"
    _, [dag] = pipeline_detail(workspace, "airflow/BQ")
    assert len(dag.children) == 3


# --- bad input: 4xx with a reason, never a 5xx -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty input"),
        (b"\xff\xfe\x00garbage", "body"),
        (b"[1, 2]", "event is a number, not an object"),
        (
            json.dumps({"eventType": 7, "eventTime": "2026-01-01T00:00:00Z"}).encode(),
            "eventType is a number",
        ),
        (
            json.dumps(
                {
                    "eventType": "START",
                    "eventTime": "{{RUN_START_TIME}}",
                    "run": {"runId": str(uuid.uuid4())},
                    "job": {"namespace": "a", "name": "b"},
                }
            ).encode(),
            "is a template placeholder",
        ),
        (b'{"eventType": "START", "x": NaN}', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
    ids=[
        "not-json",
        "empty",
        "binary",
        "numbers",
        "wrong-types",
        "placeholder",
        "nan",
        "deep",
    ],
)
def test_malformed_bodies_are_a_400_with_the_reason(serve, workspace, body, reason):
    server = serve()
    status, answer = post(server.url, body, {"Content-Type": "application/json"})
    assert status == 400
    assert reason in answer["error"]
    assert stored_runs(workspace) == {}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
EVENT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "eventType": st.sampled_from(["START", "COMPLETE", "start", "OTHER"]) | JSON_VALUES,
        "eventTime": st.sampled_from(["2026-01-01T00:00:00Z", "{{T}}", "yesterday"]) | JSON_VALUES,
        "run": st.fixed_dictionaries(
            {"runId": st.sampled_from([str(uuid.uuid4()), "x"]) | JSON_VALUES}
        ),
        "job": st.fixed_dictionaries({"namespace": JSON_VALUES, "name": JSON_VALUES}),
    },
)


@pytest.fixture
def running(serve):
    return serve()


@given(
    body=st.binary(max_size=200)
    | JSON_VALUES.map(lambda v: json.dumps(v).encode())
    | EVENT_LIKE.map(lambda v: json.dumps(v).encode())
)
@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_no_body_whatsoever_gets_a_5xx(running, body):
    """Bytes, any JSON, and objects shaped almost like events: a 200 or a 400 with a reason."""
    status, answer = post(running.url, body, {"Content-Type": "application/json"})
    assert status in (200, 400), (status, answer)
    if status == 400:
        assert set(answer) == {"error"} and answer["error"]
    else:  # a valid run event (stored), or a job/dataset event (ignored)
        assert answer["status"] in ("ok", "ignored")


def test_a_body_over_the_limit_is_a_413_raw_or_decompressed(serve, workspace):
    server = serve(max_body=4096)
    status, answer = post(server.url, b"x" * 5000)
    assert (status, "over the limit of 4096" in answer["error"]) == (413, True)
    bomb = gzip.compress(b"{" + b" " * 1_000_000 + b"}")  # 1 MB that gzips to ~1 KB
    assert len(bomb) < 4096
    status, answer = post(server.url, bomb, {"Content-Encoding": "gzip"})
    assert (status, "once decompressed" in answer["error"]) == (413, True)
    assert post(server.url, b"not gzip", {"Content-Encoding": "gzip"})[0] == 400
    assert post(server.url, b"{}", {"Content-Encoding": "br"})[0] == 415


def test_other_paths_and_methods(serve):
    server = serve(token=TOKEN)
    assert post(server.url, b"", method="GET")[0] == 405
    assert post(server.url, b"{}", method="BREW") == (405, {"error": f"use POST for {PATH}"})
    status, answer = post(server.url, b"{}", path="/api/v1/other")
    assert status == 404 and "POST /api/v1/lineage" in answer["error"]
    response = requests.get(server.url + "/", timeout=10)
    assert response.status_code == 404


def test_job_and_dataset_events_are_accepted_but_ignored(serve, workspace):
    server = serve()
    job_event = {"eventTime": "2026-01-01T00:00:00Z", "job": {"namespace": "a", "name": "b"}}
    assert post(server.url, json.dumps(job_event).encode())[1]["status"] == "ignored"
    assert stored_runs(workspace) == {}


def test_a_database_that_cannot_take_the_write_is_a_503_with_the_reason(tmp_path):
    """The client's retry policy resends on a 503; the event was valid, the store was not."""
    folder = tmp_path / "gone"
    folder.mkdir()
    engine = create_database_engine(f"sqlite:///{folder / 'board.db'}")
    folder.rmdir()  # the engine connects lazily: the first write finds no folder
    settings = Settings(database=str(folder / "board.db"), database_origin="test", actor="t")
    server = make_server(Workspace(engine, settings), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = json.dumps({
            "eventType": "START", "eventTime": "2026-01-01T00:00:00Z",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "a", "name": "b"},
        }).encode()  # fmt: skip
        status, answer = post(server.url, body)
        assert status == 503 and answer["error"].startswith("database: unable to open")
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()


# --- concurrency -----------------------------------------------------------------------------


def test_twenty_concurrent_posters_lose_and_duplicate_nothing(serve, workspace):
    """Ten runs, START and COMPLETE each, every event posted twice by different threads."""
    server = serve(token=TOKEN)
    run_ids = [str(uuid.uuid4()) for _ in range(10)]
    events = [
        run_event(
            state,
            run_id,
            f"job-{i % 3}",
            T0 + timedelta(minutes=i + (5 if state is RunState.COMPLETE else 0)),
            rows=i if state is RunState.COMPLETE else None,
        )
        for i, run_id in enumerate(run_ids)
        for state in (RunState.START, RunState.COMPLETE)
    ]
    work = events + events[::-1]
    clients = [client_for(server.url) for _ in range(20)]

    def send(index: int) -> None:
        clients[index % 20].emit(work[index])

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(send, range(len(work))))  # re-raises any failed post
    runs = stored_runs(workspace)
    assert set(runs) == set(run_ids)
    assert {run.state for run in runs.values()} == {"success"}
    assert sorted(run.rows_out for run in runs.values()) == list(range(10))
    with workspace.reading() as session:
        assert len(session.exec(select(LineageEventSeen)).all()) == 20
    assert sorted(s.name for s in pipeline_statuses(workspace)) == ["job-0", "job-1", "job-2"]


# --- the command -----------------------------------------------------------------------------


def test_mlboard_pipeline_serve_listens_until_interrupted(tmp_path):
    env = {**os.environ, "MLBOARD_USER": "tester", "MLBOARD_LINEAGE_TOKEN": TOKEN, "COLUMNS": "200"}
    command = [
        sys.executable,
        "-m",
        "mlboard",
        "--db",
        str(tmp_path / "s.db"),
        "pipeline",
        "serve",
        "--port",
        "0",
        "--quiet",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line + process.stderr.read()
        assert "bearer token required" in line
        url = line.split()[2].removesuffix(PATH)
        client_for(url).emit(run_event(RunState.START, str(uuid.uuid4()), "served", T0))
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in out
