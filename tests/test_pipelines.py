"""Pipelines: OpenLineage ingest of the real third-party files, records, freshness, data blockers.

The files are in tests/fixtures/openlineage (provenance in tests/fixtures/README.md).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func
from sqlmodel import col, select

from mlboard.errors import UserError
from mlboard.integrations.openlineage_event import parse_event
from mlboard.integrations.openlineage_payload import parse_payload
from mlboard.integrations.openlineage_runs import roll_up
from mlboard.services.data.lineage_ingest import apply_events, ingest_events, ingest_payload
from mlboard.services.data.pipelines import record_run, set_pipeline
from mlboard.services.data.status import (
    data_blockers,
    depend,
    last_successes,
    pipeline_detail,
    pipeline_statuses,
    statuses,
)
from mlboard.services.stories.records import create_story
from mlboard.store.tables import LineageEventSeen, Pipeline, PipelineRun, StoryEvent

from cli_runs import Mlboard, mlboard_in
from hypothesis_profiles import examples
from lineage_files import DATA, EXPECTED
from write_turns import WAIT, write_turns

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both
DAG_RUN = "01936893-9751-7a91-a2a0-a51101a3970c"
TASK_RUNS = [  # by start time
    "01936893-9751-7b3c-8f76-8ac6d0e5f8a3",
    "01936893-9751-7b10-a4a7-cd7454722d0f",
    "01936893-9751-7150-bbde-96d39c5c4c8d",
]
LIST_KEYS = {
    "namespace", "name", "last_state", "last_run_at", "last_success_at", "fresh",
    "failures_in_row", "rows_last",
}  # fmt: skip


@pytest.fixture
def mlboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mlboard:
    return mlboard_in(tmp_path, monkeypatch)


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def rows(workspace, table):
    with workspace.reading() as session:
        return list(session.exec(select(table)))


def dbt_with_real_run_ids() -> bytes:
    """The dbt failure file, its placeholder run ids replaced by one UUID per job name."""
    events = json.loads((DATA / "openlineage-repo/failed_run_ol_events.json").read_text())

    def run_id(job_name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, job_name))

    for event in events:
        event["run"]["runId"] = run_id(event["job"]["name"])
        parent = event["run"].get("facets", {}).get("parent")
        if parent:
            parent["run"]["runId"] = run_id(parent["job"]["name"])
        engine = event["run"]["facets"].get("processing_engine", {})
        engine.pop("openlineageAdapterVersion", None)
    return json.dumps(events).encode()


# --- the real files --------------------------------------------------------------------------


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_every_fixture_file_ingests_and_bad_events_are_reported_not_stored(mlboard, relative):
    result = mlboard("pipeline", "ingest", str(DATA / relative), "--format", "json")
    good, bad = EXPECTED[relative]
    report = json.loads(result.stdout)
    assert (report["events"], report["applied"], len(report["errors"])) == (good, good, bad)
    assert result.exit_code == (2 if bad else 0)
    for error in report["errors"]:
        assert error["where"].startswith(str(DATA / relative) + "[")
        assert "placeholder" in error["reason"]
    stored = json.loads(ok(mlboard("pipeline", "list", "--format", "json")))
    assert "{{" not in json.dumps(stored)
    assert (len(stored) > 0) == (good > 0)


def test_bad_events_are_one_line_each_on_stderr_with_where(mlboard):
    path = DATA / "marquez/metadata.template.json"
    result = mlboard("pipeline", "ingest", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 26
    assert lines[0] == (
        f"error: {path}[0]: eventTime '{{{{RUN_START_TIME}}}}' is a template placeholder"
    )
    assert result.stdout == ""  # one bad file: its error lines on stderr say all there is


def test_the_airflow_dag_rolls_up_whatever_order_the_files_come_in(mlboard):
    for path in sorted((DATA / "compat-airflow").glob("*.json"), reverse=True):
        ok(mlboard("pipeline", "ingest", str(path)))
    listed = {f"{p['namespace']}/{p['name']}": p for p in json.loads(
        ok(mlboard("pipeline", "list", "--format", "json"))
    )}  # fmt: skip
    assert set(listed) == {
        "airflow/BQ",
        "airflow/BQ.upload",
        "airflow/BQ.copy",
        "airflow/BQ.download",
    }
    assert all(set(p) == LIST_KEYS for p in listed.values())
    dag = listed["airflow/BQ"]
    assert (dag["last_state"], dag["failures_in_row"], dag["fresh"]) == ("success", 0, None)
    assert dag["last_success_at"] == "2024-11-26T13:05:39.809127+00:00"
    shown = json.loads(ok(mlboard("pipeline", "show", "airflow/BQ", "--format", "json")))
    [run] = shown["runs"]
    assert (run["run_id"], run["state"]) == (DAG_RUN, "success")
    assert run["started_at"] == "2024-11-26T13:05:23.809955+00:00"
    assert [child["run_id"] for child in run["children"]] == TASK_RUNS
    assert {child["state"] for child in run["children"]} == {"success"}
    text = ok(mlboard("pipeline", "show", "BQ"))
    assert DAG_RUN in text and all(task in text for task in TASK_RUNS)


def test_a_parent_known_only_from_its_child_shows_with_the_childs_state(workspace):
    result = ingest_payload(workspace, (DATA / "compat-spark-hive/2.json").read_bytes(), "2.json")
    assert (result.runs_added, result.pipelines_added) == (2, 2)
    status, [run] = pipeline_detail(workspace, "cl_i_test_application")
    assert (status.last_state, run.derived, run.state) == ("running", True, "running")
    assert [child.run_id for child in run.children] == ["019299c5-364c-79a9-9d83-659761b84279"]
    parent = next(r for r in rows(workspace, PipelineRun) if r.external_run_id == run.run_id)
    assert parent.state is None  # stored as the parser rolls it up: no events of its own


def test_spark_rows_and_the_error_message_facet_are_kept(workspace):
    for path in sorted((DATA / "compat-spark").glob("*.json")):
        assert ingest_payload(workspace, path.read_bytes(), path.name).errors == []
    event = DATA / "openlineage-repo/openlineage-event.json"
    ingest_payload(workspace, event.read_bytes(), event.name)
    by_id = {run.external_run_id: run for run in rows(workspace, PipelineRun)}
    output = by_id["0192963f-f6f8-71c0-8380-500bc70883ee"]
    assert (output.state, output.rows_out) == ("success", 1)
    assert output.parent_run_id == "0192963f-929e-731b-a075-9bb14bf41d38"
    assert "outputStatistics" not in output.facets["run"]  # output facets are not run facets
    started = by_id["5f24c93c-2ce9-49dc-82e7-95ab4915242f"]
    assert (started.state, started.error_message, started.rows_out) == ("running", "failed", 10)
    assert started.facets["job"]["documentation"] == {"description": "test documentation"}


def test_fail_events_carry_their_error_message_and_count_as_failures(workspace):
    result = ingest_payload(workspace, dbt_with_real_run_ids(), "dbt.json")
    assert (result.applied, result.errors) == (8, [])
    statuses = {s.full_name: s for s in pipeline_statuses(workspace)}
    job = statuses["dbt-test-namespace/dbt-run-jaffle_shop"]
    assert (job.last_state, job.failures_in_row, job.failed) == ("failed", 1, True)
    assert job.last_error == "Command `dbt run` failed at 15:58:09.771069 after 6.60 seconds"
    model = statuses["dbt-test-namespace/model.jaffle_shop.orders"]
    assert model.last_error.startswith("Database Error in model orders (models/orders.sql)")
    assert statuses["dbt-test-namespace/model.jaffle_shop.orders.sql.1"].last_state == "success"
    _, [run] = pipeline_detail(workspace, "dbt-run-jaffle_shop")
    assert [child.state for child in run.children] == ["failed"]
    assert [c.state for c in run.children[0].children] == ["success", "failed"]


def test_ingesting_everything_again_changes_nothing(workspace):
    paths = sorted(DATA.rglob("*.json"))

    def snapshot():
        return (
            [r.model_dump() for r in rows(workspace, Pipeline)],
            [r.model_dump() for r in rows(workspace, PipelineRun)],
            len(rows(workspace, LineageEventSeen)),
        )

    for path in paths:
        ingest_payload(workspace, path.read_bytes(), path.name)
    before = snapshot()
    again = [ingest_payload(workspace, path.read_bytes(), path.name) for path in paths]
    assert snapshot() == before
    assert sum(r.applied for r in again) == 0
    assert sum(r.repeated for r in again) == sum(good for good, _ in EXPECTED.values())


def lineage_event(job: str, event_type: str = "COMPLETE") -> dict:
    return {
        "eventType": event_type, "eventTime": "2026-11-25T08:00:00Z",
        "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "etl", "name": job},
    }  # fmt: skip


def test_stdin_with_a_bad_line_stores_nothing_and_names_the_line(mlboard):
    text = json.dumps(lineage_event("daily")) + "\n" + '{"eventType": "START"}\n'
    result = mlboard("pipeline", "ingest", "-", input=text)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <stdin>:2: missing eventTime")
    assert result.stdout == ""
    assert json.loads(ok(mlboard("pipeline", "list", "--format", "json"))) == []


def test_several_files_store_the_good_ones_and_name_the_bad(mlboard, tmp_path):
    """Like `git add`: every good file is stored, each bad one is named with its errors and
    stores nothing (not even its good events), and the exit code says something was bad."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(lineage_event("daily")))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps(lineage_event("hourly")) + "\n" + '{"eventType": "FAIL"}\n')
    also_good = tmp_path / "also-good.json"
    also_good.write_text(json.dumps([lineage_event("weekly", "START")]))
    missing = tmp_path / "missing.json"
    stdin = json.dumps(lineage_event("nightly"))
    result = mlboard(
        "pipeline", "ingest", str(good), str(mixed), str(missing), "-", str(also_good),
        input=stdin,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {mixed}:2: missing eventTime; missing run.runId; missing job.namespace; "
        "missing job.name",
        f"error: {missing}: cannot be read: No such file or directory",
    ]
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        f"{mixed}: nothing stored (1 error)",
        f"{missing}: nothing stored (1 error)",
    ]
    assert lines[0].startswith(f"{good}: 1 event: 1 applied")
    assert lines[3].startswith("<stdin>: 1 event: 1 applied")
    assert lines[5].startswith("3 of 5 files stored: 3 applied, 0 already seen; 3 runs added")
    stored = json.loads(ok(mlboard("pipeline", "list", "--format", "json")))
    assert sorted(p["name"] for p in stored) == ["daily", "nightly", "weekly"]

    again = mlboard("pipeline", "ingest", str(mixed), str(good), "--format", "json")
    report = json.loads(again.stdout)
    assert again.exit_code == 2
    assert [(f["file"], f["stored"], f["applied"], f["repeated"]) for f in report["files"]] == [
        (str(mixed), False, 0, 0),
        (str(good), True, 0, 1),
    ]
    assert (report["events"], report["applied"], report["repeated"]) == (2, 0, 1)
    assert [e["where"] for e in report["errors"]] == [f"{mixed}:2"]


def test_stdin_is_read_once(mlboard):
    result = mlboard("pipeline", "ingest", "-", "-", input="{}")
    assert isinstance(result.exception, UserError)
    assert "read only once" in str(result.exception)


def test_an_unreadable_file_is_one_clear_error(mlboard, tmp_path):
    missing = tmp_path / "missing.json"
    result = mlboard("pipeline", "ingest", str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"error: {missing}: cannot be read: No such file or directory\n"


# --- incremental ingest equals roll_up -------------------------------------------------------

RUN_IDS = [str(uuid.UUID(int=n, version=4)) for n in (1, 2)]
TIMES = [f"2026-01-01T00:00:0{s}Z" for s in range(3)]


@st.composite
def event_dicts(draw, parent: str) -> dict:
    """An event of one of two runs; the second run's events may name its parent (a run's
    parent never changes: the known first run, or one without events of its own)."""
    run = draw(st.sampled_from(RUN_IDS))
    kind = draw(st.sampled_from(["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"]))
    body: dict = {
        "eventType": kind,
        "eventTime": draw(st.sampled_from(TIMES)),
        "run": {"runId": run, "facets": {}},
        "job": {"namespace": "team", "name": f"job-{RUN_IDS.index(run)}"},
    }
    if draw(st.booleans()):
        body["run"]["facets"]["errorMessage"] = {"message": draw(st.sampled_from("ab"))}
    if draw(st.booleans()):
        count = draw(st.integers(0, 3))
        body["outputs"] = [{"outputFacets": {"outputStatistics": {"rowCount": count}}}]
    if run == RUN_IDS[1] and draw(st.booleans()):
        body["run"]["facets"]["parent"] = {
            "run": {"runId": parent}, "job": {"namespace": "team", "name": "dag"},
        }  # fmt: skip
    return body


@st.composite
def event_lists(draw) -> list[dict]:
    parent = draw(st.sampled_from([RUN_IDS[0], str(uuid.UUID(int=9, version=4))]))
    return draw(st.lists(event_dicts(parent), min_size=1, max_size=12))


@given(
    bodies=event_lists(),
    cuts=st.lists(st.integers(0, 12), max_size=4),
    repeat=st.booleans(),
)
@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_arrival_order_and_batching_stores_what_roll_up_computes(
    workspace, bodies, cuts, repeat
):
    events = [parse_event(body) for body in bodies]
    batches = [
        events[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(events)], strict=True)
    ]
    if repeat:
        batches.append(events[::-1])
    with workspace.writing() as session:
        for table in (LineageEventSeen, PipelineRun, Pipeline):
            session.execute(delete(table))
    for batch in batches:
        with workspace.writing() as session:
            apply_events(session, batch, workspace.now())
    expected = roll_up(events)
    stored = {run.external_run_id: run for run in rows(workspace, PipelineRun)}
    assert set(stored) == set(expected)
    for run_id, rollup in expected.items():
        run = stored[run_id]
        got = (run.state, run.started_at, run.ended_at, run.rows_out, run.error_message)
        want = (
            rollup.state,
            rollup.started_at,
            rollup.ended_at,
            rollup.rows_out,
            rollup.error_message,
        )
        assert got == want, run_id
        assert run.parent_run_id == (rollup.parent.run_id if rollup.parent else None)


@given(bodies=event_lists(), more=event_lists())
@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_the_last_success_of_each_pipeline_is_what_its_status_says(workspace, bodies, more):
    """The standup reads each pipeline's last success with one aggregate; parents known only
    from their children (their state derived) must come out the same as in the full status."""
    with workspace.writing() as session:
        for table in (LineageEventSeen, PipelineRun, Pipeline):
            session.execute(delete(table))
    with workspace.writing() as session:
        apply_events(session, [parse_event(body) for body in bodies + more], workspace.now())
    with workspace.reading() as session:
        full = statuses(session, workspace.now())
        fast = last_successes(session, [status.id for status in full])
    assert fast == {s.id: s.last_success_at for s in full if s.last_success_at is not None}


def test_a_writer_racing_an_open_transaction_for_the_same_run_waits_its_turn(workspace):
    """Transaction A has stored a run's START but not committed; B sends START and COMPLETE.

    B asks for the write lock while A holds it, and gets it only once A committed (writers take
    turns on both backends); it then sees A's START as a repeat and finishes the run: nothing
    lost, nothing stored twice.
    """
    run_id, job = str(uuid.uuid4()), {"namespace": "etl", "name": "daily"}
    start, complete = (
        parse_event({"eventType": kind, "eventTime": at, "run": {"runId": run_id}, "job": job})
        for kind, at in (("START", "2026-01-01T00:00:00Z"), ("COMPLETE", "2026-01-01T01:00:00Z"))
    )
    results = []
    racer = threading.Thread(
        target=lambda: results.append(ingest_events(workspace, [start, complete])), name="B"
    )
    with write_turns(workspace.engine) as turns:
        with workspace.writing() as session:
            apply_events(session, [start], workspace.now())  # A holds the lock from here
            racer.start()
            turns.wait_for("B", "asks")
            turns.wait_until_blocked()
            assert turns.of("B") == ["asks"]  # B is inside its write, waiting for A
        racer.join(timeout=WAIT)
    assert turns.of("B") == ["asks", "holds", "commits"]
    a_commit = turns.log.index(("MainThread", "commits"))
    assert turns.log.index(("B", "asks")) < a_commit < turns.log.index(("B", "holds"))
    [result] = results
    assert (result.applied, result.repeated, result.runs_added) == (1, 1, 0)
    [run] = rows(workspace, PipelineRun)
    assert (run.state, len(rows(workspace, LineageEventSeen)), len(rows(workspace, Pipeline))) == (
        "success", 2, 1,
    )  # fmt: skip


# --- record, list, freshness -----------------------------------------------------------------


def test_record_running_then_success_is_one_run_and_list_keys_are_exact(mlboard):
    ok(mlboard("pipeline", "record", "features", "--state", "running", "--run-id", "r-1"))
    out = ok(
        mlboard(
            "pipeline",
            "record",
            "features",
            "--state",
            "success",
            "--rows",
            "120",
            "--run-id",
            "r-1",
        )
    )
    assert "mlboard/features: run r-1 is success" in out
    [listed] = json.loads(ok(mlboard("pipeline", "list", "--format", "json")))
    assert set(listed) == LIST_KEYS
    assert (listed["namespace"], listed["name"], listed["last_state"]) == (
        "mlboard",
        "features",
        "success",
    )
    assert (listed["rows_last"], listed["failures_in_row"], listed["fresh"]) == (120, 0, None)
    result = mlboard("pipeline", "record", "features", "--state", "running", "--run-id", "r-1")
    assert isinstance(result.exception, UserError) and "already finished" in str(result.exception)
    assert "| mlboard/features | success |" in ok(mlboard("pipeline", "list", "--format", "md"))


def test_the_python_api_records_from_a_script(mlboard):
    from mlboard.pipelines import record_run as api_record

    run_id = api_record("nightly", "running", db=mlboard.database)
    assert (
        api_record("nightly", "failed", run_id=run_id, error="disk full", db=mlboard.database)
        == run_id
    )
    shown = json.loads(ok(mlboard("pipeline", "show", "nightly", "--format", "json")))
    assert [(r["run_id"], r["state"], r["error_message"]) for r in shown["runs"]] == [
        (run_id, "failed", "disk full")
    ]
    with pytest.raises(UserError, match="unknown state 'done'"):
        api_record("nightly", "done", db=mlboard.database)


def test_freshness_flips_just_after_the_sla_boundary(workspace, clock):
    """fresh while now - last success <= SLA (the boundary itself is still fresh)."""
    record_run(workspace, "features", "success")
    set_pipeline(workspace, "features", sla_hours="24")
    clock.advance(hours=24)
    [status] = pipeline_statuses(workspace)
    assert status.fresh is True
    clock.advance(microseconds=1)
    [status] = pipeline_statuses(workspace)
    assert status.fresh is False
    assert status.as_json()["fresh"] is False
    assert data_blockers(workspace, []) == {}


def test_a_pipeline_with_an_sla_that_never_succeeded_is_stale(workspace):
    set_pipeline(workspace, "etl/new-job", sla_hours=6, create=True)
    [status] = pipeline_statuses(workspace)
    assert (status.full_name, status.fresh, status.last_state) == ("etl/new-job", False, None)
    assert status.problems(workspace.now()) == [
        "pipeline etl/new-job is stale: never succeeded (SLA 6 h)"
    ]


def test_failures_in_row_count_back_to_the_last_success(workspace, clock):
    def count() -> tuple[str | None, int, bool]:
        [status] = pipeline_statuses(workspace)
        return status.last_state, status.failures_in_row, status.failed

    for state in ("failed", "success", "failed", "aborted", "failed"):
        record_run(workspace, "etl", state, rows=5 if state == "success" else None)
        clock.advance(minutes=10)
    assert count() == ("failed", 2, True)  # aborted neither counts nor breaks the streak
    record_run(workspace, "etl", "running")
    assert count() == ("running", 2, True)  # still failed until a run succeeds
    clock.advance(minutes=10)
    record_run(workspace, "etl", "success", rows=7)
    assert count() == ("success", 0, False)
    [status] = pipeline_statuses(workspace)
    assert status.rows_last == 7


def test_record_refuses_bad_values(workspace):
    with pytest.raises(UserError, match="rows must be a whole number"):
        record_run(workspace, "etl", "success", rows=-1)
    now = workspace.now()
    with pytest.raises(UserError, match="cannot end before it started"):
        record_run(workspace, "etl", "success", started_at=now, ended_at=now - timedelta(hours=1))
    assert rows(workspace, Pipeline) == []


# --- names, configuration, dependencies ------------------------------------------------------


def test_names_resolve_by_namespace_or_alone_when_unambiguous(mlboard):
    ok(
        mlboard(
            "pipeline", "record", "daily", "--state", "success", "--namespace", "postgres://db:5432"
        )
    )
    ok(mlboard("pipeline", "set", "daily", "--owner", "@ana", "--sla-hours", "12"))
    ok(mlboard("pipeline", "record", "daily", "--state", "success", "--namespace", "spark"))
    result = mlboard("pipeline", "set", "daily", "--owner", "bo")
    assert "ambiguous" in str(result.exception) and "spark/daily" in str(result.exception)
    ok(mlboard("pipeline", "set", "postgres://db:5432/daily", "--sensitivity", "personal"))
    shown = json.loads(
        ok(mlboard("pipeline", "show", "postgres://db:5432/daily", "--format", "json"))
    )
    assert (shown["owner"], shown["sla_hours"], shown["sensitivity"]) == ("ana", 12.0, "personal")
    bad = mlboard("pipeline", "set", "spark/daily", "--sensitivity", "secret")
    assert "unknown sensitivity 'secret'" in str(bad.exception)
    assert "not found" in str(mlboard("pipeline", "show", "nope").exception)


def test_data_blockers_name_failed_and_stale_dependencies(workspace, clock):
    for title in ("Retrain churn", "Feature audit", "Unrelated"):
        create_story(workspace, title)
    record_run(workspace, "features", "failed", error="disk full\nTraceback ...")
    record_run(workspace, "labels", "success")
    record_run(workspace, "events", "success")
    set_pipeline(workspace, "labels", sla_hours=24)
    set_pipeline(workspace, "events", sla_hours=48)
    depend(workspace, "ML-1", "features")
    depend(workspace, "ml-1", "mlboard/labels")
    depend(workspace, "ML-2", "events")
    assert data_blockers(workspace, ["ML-1", "ML-2", "ML-3"]) == {
        "ML-1": ["pipeline mlboard/features failed: disk full"]
    }
    clock.advance(hours=30)
    blockers = data_blockers(workspace, ["ml-1", "ML-2"])
    assert blockers == {
        "ML-1": [
            "pipeline mlboard/features failed: disk full",
            "pipeline mlboard/labels is stale: last success 30 h ago (SLA 24 h)",
        ]
    }
    with workspace.reading() as session:  # the board passes its own session
        assert data_blockers(session, ["ML-1"], now=clock()) == blockers
    record_run(workspace, "features", "success")
    depend(workspace, "ML-1", "labels", remove=True)
    assert data_blockers(workspace, ["ML-1", "ML-2"]) == {}
    with workspace.reading() as session:
        history = session.exec(
            select(StoryEvent.field, StoryEvent.old, StoryEvent.new)
            .where(StoryEvent.field == "pipeline")
            .order_by(col(StoryEvent.id))
        ).all()
    assert history[-1] == ("pipeline", "mlboard/labels", None)


def test_depend_via_the_cli(mlboard):
    ok(mlboard("story", "add", "Retrain churn"))
    ok(mlboard("pipeline", "record", "features", "--state", "failed", "--error", "boom"))
    assert "ML-1 depends on pipeline mlboard/features" in ok(
        mlboard("pipeline", "depend", "ML-1", "features")
    )
    again = mlboard("pipeline", "depend", "ML-1", "features")
    assert "already depends" in str(again.exception)
    assert "no longer depends" in ok(mlboard("pipeline", "depend", "ML-1", "features", "--remove"))
    assert "does not depend" in str(
        mlboard("pipeline", "depend", "ML-1", "features", "--remove").exception
    )


def test_list_text_shows_user_text_literally(mlboard):
    ok(mlboard("pipeline", "record", "[red]x[/red]", "--state", "failed"))
    out = ok(mlboard("pipeline", "list"))
    assert "mlboard/[red]x[/red]" in out
    assert "failed" in out


def test_statuses_only_count_runs_with_a_state(workspace):
    """An OTHER event changes no state, and a parent run without events or children has
    none either: neither pipeline has a last run."""
    child = {
        "eventType": "OTHER", "eventTime": "2026-01-01T00:00:00Z",
        "run": {"runId": str(uuid.uuid4()), "facets": {"parent": {
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "team", "name": "dag"},
        }}},
        "job": {"namespace": "team", "name": "task"},
    }  # fmt: skip
    events, errors = parse_payload(json.dumps(child))
    assert errors == []
    with workspace.writing() as session:
        apply_events(session, events, workspace.now())
        assert session.exec(select(func.count()).select_from(PipelineRun)).one() == 2
    statuses = {s.name: s for s in pipeline_statuses(workspace)}
    assert (statuses["dag"].last_state, statuses["dag"].runs) == (None, 0)
    assert (statuses["task"].last_state, statuses["task"].last_run_at) == (None, None)
