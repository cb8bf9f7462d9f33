"""The OpenLineage HTTP receiver, posted to by the real `openlineage-python` client.

The server runs in a thread on 127.0.0.1 with a free port; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import signal
import socket
import struct
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

from fixture_files import OPENLINEAGE
from hypothesis_profiles import examples

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
    path: str = PATH, content_type: str | None = "application/json",
) -> tuple[int, object]:  # fmt: skip
    """A raw request, for what the client would never send; returns (status, JSON answer)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    typed = {"Content-Type": content_type} if content_type else {}
    try:
        connection.request(method, path, body=body, headers=typed | (headers or {}))
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


def test_the_shared_airflow_events_posted_one_by_one_roll_up(serve, workspace):
    server = serve()
    for path in sorted((OPENLINEAGE / "compat-airflow").glob("*.json")):
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


# --- content types: JSON only, so a browser page cannot post across origins -------------------


def event_body() -> bytes:
    return json.dumps({
        "eventType": "START", "eventTime": "2026-11-25T06:00:00Z",
        "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "etl", "name": "daily"},
    }).encode()  # fmt: skip


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # what fetch() sends for a string body without asking first
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",  # an HTML form
        "multipart/form-data; boundary=x",
        None,  # a Blob without a type
        "application/jsonp",
        "text/json",
        "application/json\x1b[2J" + "x" * 500,
    ],
)
def test_anything_but_json_is_a_415_and_stores_nothing(serve, workspace, content_type):
    server = serve()
    status, answer = post(server.url, event_body(), content_type=content_type)
    assert status == 415
    assert answer["error"].endswith(
        "is not accepted: send application/json or application/x-ndjson"
    )
    assert len(answer["error"]) < 200 and "\x1b" not in answer["error"]
    assert stored_runs(workspace) == {}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON",
     "application/x-ndjson"],
)  # fmt: skip
def test_json_with_or_without_parameters_is_accepted(serve, workspace, content_type):
    server = serve()
    lines = event_body() + b"\n" + event_body() + b"\n"
    status, answer = post(server.url, lines, content_type=content_type)
    assert (status, answer["applied"]) == (200, 2)


# --- connections: a cap, deadlines, hang-ups -------------------------------------------------


def connect(server) -> socket.socket:
    return socket.create_connection(server.server_address[:2], timeout=30)


def raw_post(body: bytes, *, close: bool = False) -> bytes:
    """A whole POST of `body`, as bytes on the wire."""
    close_header = "Connection: close\r\n" if close else ""
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{close_header}\r\n"
    ).encode() + body


def answer(connection: socket.socket) -> tuple[int, dict]:
    """Read one answer from a raw connection: its status and JSON body."""
    response = http.client.HTTPResponse(connection)
    response.begin()
    return response.status, json.loads(response.read())


def until_admitted(server) -> tuple[int, object]:
    """Post until the server admits the connection: with `max_connections=1`, proof that the
    connection before has been dealt with completely. A refused post gets the 503, or a reset
    when the server closed the connection before the request had all arrived."""
    while True:
        with contextlib.suppress(ConnectionError):
            status, reply = post(server.url, event_body())
            if status != 503:
                return status, reply


def test_a_connection_over_the_cap_is_a_503_and_the_others_keep_working(serve, workspace):
    lines: list[str] = []
    server = serve(max_connections=2, log=lines.append)
    first, second = connect(server), connect(server)
    with first, second:
        with connect(server) as third:  # accepted after the two: no slot left
            status, reply = answer(third)
            assert (status, reply) == (503, {"error": "all 2 connections are busy; retry shortly"})
            assert third.recv(1) == b""  # and closed
        for connection in (first, second):  # the admitted ones are not starved
            connection.sendall(raw_post(event_body()))
            assert answer(connection)[0] == 200
        first.sendall(raw_post(event_body(), close=True))
        assert answer(first)[0] == 200 and first.recv(1) == b""  # its slot is free again
        assert post(server.url, event_body())[0] == 200
    assert len(stored_runs(workspace)) == 4
    assert any(line.endswith("refused: all 2 connections busy") for line in lines)


def test_a_client_trickling_bytes_is_cut_off_at_the_request_deadline(serve):
    """A byte every 50 ms keeps a per-read timeout happy forever; the request deadline does not
    care: the connection is closed half a second after its first byte, and its slot is free."""
    lines: list[str] = []
    server = serve(max_connections=1, request_timeout=0.5, log=lines.append)
    stop = threading.Event()
    with connect(server) as slow:
        slow.sendall(f"POST {PATH} HTTP/1.1\r\n".encode())

        def trickle() -> None:
            with contextlib.suppress(OSError):
                while not stop.wait(0.05):
                    slow.send(b"X")

        thread = threading.Thread(target=trickle)
        thread.start()
        try:
            assert slow.recv(1) == b""  # the server closed it
        finally:
            stop.set()
            thread.join()
    assert post(server.url, event_body())[0] == 200
    assert "Request timed out: TimeoutError(" in lines[0]


def reset(connection: socket.socket) -> None:
    """Hang up abruptly: a TCP reset instead of an orderly close."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


HALF_HEADERS = f"POST {PATH} HTTP/1.1\r\nContent-Type: application/json\r\nCont".encode()
HANG_UPS = {
    "half a request line, then close": (b"POST /api/v1/lin", socket.socket.close),
    "half the headers, then reset": (HALF_HEADERS, reset),
    "half the body, then reset": (raw_post(b"{" + b" " * 5000 + b"}")[:-2000], reset),
    "before the answer, then reset": (raw_post(event_body()), reset),
}


@pytest.mark.parametrize("case", list(HANG_UPS))
def test_a_client_hanging_up_prints_no_traceback(serve, capfd, case):
    sent, hang_up = HANG_UPS[case]
    lines: list[str] = []
    server = serve(max_connections=1, log=lines.append)
    connection = connect(server)
    connection.sendall(sent)
    hang_up(connection)
    assert until_admitted(server)[0] == 200
    _, err = capfd.readouterr()
    assert "Traceback" not in err and "Exception" not in err, err
    assert not any("Traceback" in line or "error" in line for line in lines), lines
    if "then reset" in case and "answer" not in case:
        assert any(line.endswith("client hung up in the middle of a request or its answer")
                   for line in lines), lines  # fmt: skip


# --- the request log is inert -----------------------------------------------------------------


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.1",  # retitles the terminal, clears the screen
        b"\x1b[2J\x9b31m\x1b[31mred",  # not even a request line: a 400
        b"POST /api/v1/lineage\xe2\x80\xae\x1b[1A HTTP/1.1",  # right-to-left override, cursor up
    ],
)
def test_the_request_log_escapes_what_the_client_sent(serve, request_line):
    lines: list[str] = []
    server = serve(log=lines.append)
    with connect(server) as connection:
        connection.sendall(request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert connection.makefile("rb").read()  # the log line is written before the answer
    [line] = lines
    assert line.isprintable() and "\\x1b" in line
    if b"pwned" in request_line:
        assert '"GET /\\x1b]0;pwned\\x07\\x1b[2J HTTP/1.1" 404' in line


# --- the command -----------------------------------------------------------------------------


def serving(tmp_path: os.PathLike[str], *options: str) -> tuple[subprocess.Popen, str]:
    """`mlboard pipeline serve --port 0 OPTIONS` of this checkout: the process, its first line."""
    env = {**os.environ, "MLBOARD_USER": "tester", "MLBOARD_LINEAGE_TOKEN": TOKEN, "COLUMNS": "200"}
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # checkout
    database = os.path.join(tmp_path, "s.db")
    command = [sys.executable, "-m", "mlboard", "--db", database, "pipeline"]
    process = subprocess.Popen(
        [*command, "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    return process, process.stdout.readline()


def test_mlboard_pipeline_serve_listens_until_interrupted(tmp_path):
    process, line = serving(tmp_path, "--quiet")
    try:
        assert line.startswith("listening on http://127.0.0.1:"), line + process.stderr.read()
        assert "bearer token required" in line
        url = line.split()[2].removesuffix(PATH)
        client_for(url).emit(run_event(RunState.START, str(uuid.uuid4()), "served", T0))
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_the_served_log_on_the_terminal_carries_no_escape_sequence(tmp_path):
    process, line = serving(tmp_path, "--max-connections", "4", "--request-timeout", "5")
    try:
        host, port = line.split()[2].removeprefix("http://").removesuffix(PATH).split(":")
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(b"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer(connection)[0] == 404
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "\x1b" not in err and "\x07" not in err and "Traceback" not in err
    assert '"GET /\\x1b]0;pwned\\x07\\x1b[2J HTTP/1.1" 404' in err
