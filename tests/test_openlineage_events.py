"""Tests for the OpenLineage event parser: the real third-party files, the quirks, and fuzzing.

The real files are in tests/fixtures/openlineage (provenance in tests/fixtures/README.md).
"""

from __future__ import annotations

import json
import pickle
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlboard.integrations.openlineage_checks import MAX_DEPTH, EventError
from mlboard.integrations.openlineage_event import EVENT_TYPES, LineageEvent, parse_event
from mlboard.integrations.openlineage_facets import ParentRef
from mlboard.integrations.openlineage_payload import parse_payload
from mlboard.integrations.openlineage_runs import RunRollup, roll_up

from hypothesis_profiles import examples
from lineage_files import DATA, EXPECTED

FUZZ = settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

AIRFLOW_DAG_RUN = "01936893-9751-7a91-a2a0-a51101a3970c"
AIRFLOW_TASKS = {
    "01936893-9751-7b3c-8f76-8ac6d0e5f8a3": "BQ.upload",
    "01936893-9751-7b10-a4a7-cd7454722d0f": "BQ.copy",
    "01936893-9751-7150-bbde-96d39c5c4c8d": "BQ.download",
}
SPARK_APP_RUN = "0192963f-929e-731b-a075-9bb14bf41d38"
SPARK_PLAN_RUN = "0192963f-c099-7dff-8d04-a90a16c16859"
SPARK_OUTPUT_RUN = "0192963f-f6f8-71c0-8380-500bc70883ee"


def read(relative: str) -> tuple[list[LineageEvent], list[EventError]]:
    path = DATA / relative
    return parse_payload(path.read_bytes(), relative)


def read_folder(folder: str) -> list[LineageEvent]:
    events: list[LineageEvent] = []
    for path in sorted((DATA / folder).glob("*.json")):
        found, errors = parse_payload(path.read_text(encoding="utf-8"), path.name)
        assert errors == []
        events += found
    return events


def event(
    event_type: str = "START",
    time: str = "2025-01-02T03:04:05Z",
    run_id: str = "11111111-1111-4111-8111-111111111111",
    name: str = "etl",
    **extra: object,
) -> dict:
    """A valid minimal run event as a dict; keyword arguments add or replace top-level keys."""
    body: dict = {
        "eventType": event_type,
        "eventTime": time,
        "run": {"runId": run_id},
        "job": {"namespace": "team", "name": name},
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    body.update(extra)
    return body


def with_parent(body: dict, parent_id: str, parent_name: str = "dag") -> dict:
    parent = {"run": {"runId": parent_id}, "job": {"namespace": "team", "name": parent_name}}
    body["run"].setdefault("facets", {})["parent"] = parent
    return body


def reason_of(obj: object) -> str:
    with pytest.raises(EventError) as info:
        parse_event(obj)
    return info.value.reason


def uid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


# --- every real file --------------------------------------------------------------------------


def test_the_expected_table_lists_every_fixture_file() -> None:
    found = {p.relative_to(DATA).as_posix() for p in DATA.rglob("*.json")}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_every_fixture_file_parses_with_expected_counts(relative: str) -> None:
    events, errors = read(relative)
    assert (len(events), len(errors)) == EXPECTED[relative]
    for error in errors:
        assert error.where.startswith(relative)
        assert "{{" in error.reason  # the only errors in the real files are placeholders
    for ev in events:
        assert ev.event_time.tzinfo is UTC
        assert "{{" not in json.dumps(ev.facets)
        json.dumps(ev.facets, allow_nan=False)  # storable as JSON


def test_airflow_dag_run_with_three_tasks_tied_by_parent_facet() -> None:
    events = read_folder("compat-airflow")
    assert [e.event_type for e in events] == ["START", *["START", "COMPLETE"] * 3, "COMPLETE"]
    assert all(e.warnings == () for e in events)
    assert all(e.namespace == "airflow" for e in events)
    dag = events[0]
    assert (dag.run_id, dag.job_name, dag.parent) == (AIRFLOW_DAG_RUN, "BQ", None)
    assert dag.event_time == datetime(2024, 11, 26, 13, 5, 23, 809955, tzinfo=UTC)
    assert dag.producer and dag.schema_url
    assert "airflowDagRun" in dag.facets["run"]  # vendor facets are kept
    tasks = [e for e in events if e.parent is not None]
    assert len(tasks) == 6
    assert {e.parent for e in tasks} == {ParentRef("airflow", "BQ", AIRFLOW_DAG_RUN)}

    runs = roll_up(events)
    assert set(runs) == {AIRFLOW_DAG_RUN, *AIRFLOW_TASKS}
    dag_run = runs[AIRFLOW_DAG_RUN]
    assert dag_run.children == tuple(AIRFLOW_TASKS)  # in start order: upload, copy, download
    assert dag_run.state == "success"
    assert dag_run.started_at == datetime(2024, 11, 26, 13, 5, 23, 809955, tzinfo=UTC)
    assert dag_run.ended_at == datetime(2024, 11, 26, 13, 5, 39, 809127, tzinfo=UTC)
    for run_id, name in AIRFLOW_TASKS.items():
        task = runs[run_id]
        assert (task.job_name, task.state, task.children) == (name, "success", ())
        assert task.started_at < task.ended_at
        assert task.parent == ParentRef("airflow", "BQ", AIRFLOW_DAG_RUN)


def test_airflow_roll_up_does_not_depend_on_file_order() -> None:
    events = read_folder("compat-airflow")
    expected = roll_up(events)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert roll_up(shuffled) == expected
    assert roll_up(reversed(events)) == expected


def test_spark_events_with_running_and_row_count() -> None:
    events = read_folder("compat-spark")
    assert [e.event_type for e in events] == ["START", "RUNNING", "COMPLETE", "COMPLETE"]
    assert [e.rows_out for e in events] == [None, None, 1, None]
    assert events[0].event_time == datetime(2024, 10, 16, 16, 53, 8, 979000, tzinfo=UTC)
    assert events[1].state == "running"

    runs = roll_up(events)
    app = runs[SPARK_APP_RUN]
    assert (app.job_name, app.state, app.parent) == ("shakespeare_on_spark", "success", None)
    assert app.children == (SPARK_PLAN_RUN, SPARK_OUTPUT_RUN)
    assert runs[SPARK_PLAN_RUN].state == "running"  # Spark never sent it an end
    assert runs[SPARK_PLAN_RUN].ended_at is None
    output = runs[SPARK_OUTPUT_RUN]
    assert (output.state, output.rows_out) == ("success", 1)
    assert output.started_at == output.ended_at  # only a COMPLETE: first event time


def test_spark_hive_one_digit_fraction_and_parent_without_events() -> None:
    (ev,), errors = read("compat-spark-hive/2.json")
    assert errors == []
    assert ev.event_time == datetime(2024, 10, 17, 9, 18, 11, 500000, tzinfo=UTC)
    assert ev.parent == ParentRef(
        "default", "cl_i_test_application", "019299c5-12f5-7946-b5b2-c6abab662e20"
    )
    runs = roll_up([ev])
    parent = runs[ev.parent.run_id]  # shown although only its task's event arrived
    assert parent == RunRollup(
        run_id=ev.parent.run_id,
        namespace="default",
        job_name="cl_i_test_application",
        state=None,
        started_at=None,
        ended_at=None,
        rows_out=None,
        error_message=None,
        parent=None,
        children=(ev.run_id,),
    )


def test_dbt_failed_run_placeholders_are_errors_naming_run_id() -> None:
    events, errors = read("openlineage-repo/failed_run_ol_events.json")
    assert events == []
    assert [e.where for e in errors] == [
        f"openlineage-repo/failed_run_ol_events.json[{i}]" for i in range(8)
    ]
    for error in errors:
        assert error.reason.startswith("run.runId '{{ any(result) }}' is a template placeholder")
    assert "run.facets.parent.run.runId" in errors[1].reason
    assert "run.facets.parent" not in errors[0].reason  # the dbt run itself has no parent


def dbt_events_with_real_ids() -> list[dict]:
    """The dbt fixture with its placeholders filled in: one UUID per job, like dbt would send."""
    raw = json.loads((DATA / "openlineage-repo/failed_run_ol_events.json").read_text())
    ids: dict[str, str] = {}

    def run_id(job: str) -> str:
        return ids.setdefault(job, str(uuid.uuid5(uuid.NAMESPACE_URL, job)))

    for body in raw:
        facets = body["run"]["facets"]
        body["run"]["runId"] = run_id(body["job"]["name"])
        if "parent" in facets:
            facets["parent"]["run"]["runId"] = run_id(facets["parent"]["job"]["name"])
        facets["processing_engine"]["openlineageAdapterVersion"] = "1.26.0"
    assert "{{" not in json.dumps(raw)
    return raw


def test_dbt_failures_carry_error_message_and_roll_up_to_the_dbt_run() -> None:
    events, errors = parse_payload(json.dumps(dbt_events_with_real_ids()), "dbt.json")
    assert errors == []
    assert len(events) == 8
    assert all(e.warnings == ("missing producer", "missing schemaURL") for e in events)
    assert all(e.producer is None and e.schema_url is None for e in events)
    failures = [e for e in events if e.event_type == "FAIL"]
    assert len(failures) == 3
    assert all(e.state == "failed" for e in failures)
    assert failures[0].error_message.startswith("Database Error in model orders")
    assert failures[2].error_message.startswith("Command `dbt run` failed")
    assert [e.error_message for e in events if e.event_type != "FAIL"] == [None] * 5

    runs = roll_up(events)
    by_name = {r.job_name: r for r in runs.values()}
    assert len(by_name) == 4
    dbt_run = by_name["dbt-run-jaffle_shop"]
    model = by_name["model.jaffle_shop.orders"]
    ok, bad = by_name["model.jaffle_shop.orders.sql.1"], by_name["model.jaffle_shop.orders.sql.2"]
    assert (dbt_run.state, dbt_run.children) == ("failed", (model.run_id,))
    assert dbt_run.error_message.startswith("Command `dbt run` failed")
    assert (model.state, model.children) == ("failed", (ok.run_id, bad.run_id))
    assert (ok.state, bad.state) == ("success", "failed")
    assert bad.error_message.startswith("Database Error")
    assert dbt_run.ended_at == datetime(2024, 11, 22, 15, 58, 9, 771069, tzinfo=UTC)


def test_openlineage_repo_event_with_error_rows_and_incomplete_parent() -> None:
    (ev,), errors = read("openlineage-repo/openlineage-event.json")
    assert errors == []
    assert (ev.event_type, ev.error_message, ev.rows_out) == ("START", "failed", 10)
    assert ev.parent is None  # the parent facet has a job but no run
    assert ev.warnings == (
        "missing producer",
        "missing schemaURL",
        "missing run.facets.parent.run.runId; parent ignored",
    )
    assert ev.facets["run"]["parent"]["root"]["job"]["name"] == "root-job-name"  # kept
    assert ev.facets["job"]["sql"]["query"] == "SELECT * FROM test"


def test_marquez_full_event() -> None:
    (ev,), _ = read("marquez/event_full.json")
    assert ev.event_type == "COMPLETE"
    assert ev.event_time == datetime(2020, 12, 28, 19, 51, 1, 641000, tzinfo=UTC)
    assert (ev.namespace, ev.job_name, ev.rows_out) == (
        "my-scheduler-namespace",
        "myjob.mytask",
        2000,
    )
    assert ev.parent == ParentRef(
        "my-scheduler-namespace", "myjob.mytask", "3f5e83fa-3480-44ff-99c5-ff943904e5e8"
    )
    assert {"additionalProp1", "additionalProp2", "nominalTime"} <= set(ev.facets["run"])
    assert ev.warnings == ()


def test_marquez_simple_event_offset_is_converted_to_utc() -> None:
    (ev,), _ = read("marquez/event_simple.json")
    assert ev.event_time == datetime(2020, 12, 28, 9, 52, 0, 1000, tzinfo=UTC)  # 19:52 +10:00
    assert ev.rows_out is None  # outputs without outputStatistics
    assert ev.facets == {"run": {}, "job": {}}
    assert ev.state == "success"


def test_marquez_template_placeholders_are_all_reported_none_stored() -> None:
    events, errors = read("marquez/metadata.template.json")
    assert events == []
    assert len(errors) == 26
    starts, ends = errors[0::2], errors[1::2]
    for error in starts:
        assert error.reason == "eventTime '{{RUN_START_TIME}}' is a template placeholder"
    for error in ends:
        assert error.reason.startswith("eventTime '{{RUN_END_TIME_AFTER_")
    assert errors[25].where == "marquez/metadata.template.json[25]"


# --- payload shapes ---------------------------------------------------------------------------


def test_single_object_payload_where_is_the_source() -> None:
    events, errors = parse_payload(json.dumps(event()), "one.json")
    assert len(events) == 1 and errors == []
    _, errors = parse_payload(json.dumps(event(run_id="abc")), "one.json")
    assert [(e.where, e.reason) for e in errors] == [("one.json", "run.runId 'abc' is not a UUID")]


def test_array_payload_reports_bad_elements_by_index() -> None:
    body = [event(), 42, event(job={"namespace": "team"}), event("COMPLETE")]
    events, errors = parse_payload(json.dumps(body), "a.json")
    assert [e.event_type for e in events] == ["START", "COMPLETE"]
    assert [(e.where, e.reason) for e in errors] == [
        ("a.json[1]", "event is a number, not an object"),
        ("a.json[2]", "missing job.name"),
    ]
    assert parse_payload("[]", "empty.json") == ([], [])


def test_json_lines_with_blank_lines_and_bad_lines() -> None:
    lines = [
        json.dumps(event("START")),
        "",
        json.dumps(event("RUNNING", "2025-01-02T03:05:00Z")),
        '{"eventType": "COMPLETE", "eventTime": ',
        "   ",
        json.dumps(event("OTHER", run_id="nope")),
        json.dumps(event("COMPLETE", "2025-01-02T03:06:00Z")) + "\r",
        "",
    ]
    events, errors = parse_payload("\n".join(lines), "runs.jsonl")
    assert [e.event_type for e in events] == ["START", "RUNNING", "COMPLETE"]
    assert [e.where for e in errors] == ["runs.jsonl:4", "runs.jsonl:6"]
    assert errors[0].reason.startswith("not valid JSON: Expecting value at column ")
    assert errors[1].reason == "run.runId 'nope' is not a UUID"
    assert roll_up(events)[events[0].run_id].state == "success"


def test_json_lines_whose_first_line_is_broken_still_reads_the_rest() -> None:
    text = '{"eventType": "START", oops}\n' + json.dumps(event())
    events, errors = parse_payload(text, "x.jsonl")
    assert len(events) == 1
    assert [e.where for e in errors] == ["x.jsonl:1"]


def test_text_that_is_not_json_is_one_error_with_line_and_column() -> None:
    events, errors = parse_payload("hello\nworld", "junk.txt")
    assert events == []
    assert [(e.where, e.reason) for e in errors] == [
        ("junk.txt", "not valid JSON: Expecting value at line 1 column 1")
    ]
    pretty = json.dumps([event(), event()], indent=2).replace('"run": {', '"run" {', 1)
    events, errors = parse_payload(pretty, "broken.json")
    assert events == []
    assert len(errors) == 1
    assert errors[0].where == "broken.json"
    assert errors[0].reason.startswith("not valid JSON: Expecting ':' delimiter at line ")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("", "empty input: no events"),
        (" \n\t\n", "empty input: no events"),
        ("42", "expected an event object, an array of events or JSON lines, got a number"),
        ('"START"', "expected an event object, an array of events or JSON lines, got a string"),
        ("null", "expected an event object, an array of events or JSON lines, got null"),
        ('{"a": NaN}', "not valid JSON: NaN is not a JSON number"),
        ("[" * 100_000, "not valid JSON: nested too deeply"),
    ],
)
def test_payloads_that_hold_no_event(payload: str, reason: str) -> None:
    events, errors = parse_payload(payload, "p")
    assert events == []
    assert [(e.where, e.reason) for e in errors] == [("p", reason)]


def test_bytes_utf8_bom_and_utf16_are_decoded() -> None:
    text = json.dumps(event(name="modèle"), ensure_ascii=False)
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        (ev,), errors = parse_payload(data)
        assert (ev.job_name, errors) == ("modèle", [])
    (ev,), _ = parse_payload("\ufeff" + text)
    assert ev.job_name == "modèle"


def test_invalid_utf8_is_one_error() -> None:
    events, errors = parse_payload(b'{"eventType": "\xff"}', "bad.bin")
    assert events == []
    assert [(e.where, e.reason) for e in errors] == [
        ("bad.bin", "not utf-8 text: undecodable byte at offset 15")
    ]


def test_payload_of_wrong_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_payload(123)  # type: ignore[arg-type]


# --- event times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-12-28T19:51:01.641Z", datetime(2020, 12, 28, 19, 51, 1, 641000, tzinfo=UTC)),
        ("2024-11-26T13:05:23.809955+00:00", datetime(2024, 11, 26, 13, 5, 23, 809955, tzinfo=UTC)),
        ("2020-12-28T19:52:00.001+10:00", datetime(2020, 12, 28, 9, 52, 0, 1000, tzinfo=UTC)),
        ("2024-10-17T09:18:11.5Z", datetime(2024, 10, 17, 9, 18, 11, 500000, tzinfo=UTC)),
        ("2024-10-17T09:18:11.123456789Z", datetime(2024, 10, 17, 9, 18, 11, 123456, tzinfo=UTC)),
        ("2024-10-17T09:18:11.999999999Z", datetime(2024, 10, 17, 9, 18, 11, 999999, tzinfo=UTC)),
        ("2024-01-01T00:30:00-05:30", datetime(2024, 1, 1, 6, 0, tzinfo=UTC)),
        ("2024-01-01T00:30:00+0100", datetime(2023, 12, 31, 23, 30, tzinfo=UTC)),
        ("2024-01-01t00:00:00z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01 00:00:00-00:00", datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_event_time_formats(text: str, expected: datetime) -> None:
    ev = parse_event(event(time=text))
    assert ev.event_time == expected
    assert ev.event_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2024-01-01T00:00:00", "has no UTC offset"),
        ("2024-01-01T00:00:00.123", "has no UTC offset"),
        ("2024-13-01T00:00:00Z", "is not a valid date-time"),
        ("2024-02-30T00:00:00Z", "is not a valid date-time"),
        ("2024-01-01T24:00:00Z", "is not a valid date-time"),
        ("2024-01-01T00:00:00+24:00", "is not a valid date-time"),
        ("2024-01-01T00:00:00+05:60", "is not a valid date-time"),
        ("0001-01-01T00:00:00+01:00", "is not a valid date-time"),
        ("2024-01-01T00:00:00.1234567890Z", "is not an ISO 8601 date-time"),
        ("2024-01-01T00:00Z", "is not an ISO 8601 date-time"),
        ("2024-01-01", "is not an ISO 8601 date-time"),
        ("yesterday", "is not an ISO 8601 date-time"),
        ("２０２４-01-01T00:00:00Z", "is not an ISO 8601 date-time"),
    ],
)
def test_bad_event_times(text: str, problem: str) -> None:
    assert reason_of(event(time=text)) == f"eventTime '{text}' {problem}"


def test_event_time_must_be_a_string() -> None:
    assert reason_of(event(time=1735787045)) == "eventTime is a number, not a string"


@FUZZ
@given(
    local=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    offset_minutes=st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    digits=st.integers(0, 9),
    nanos=st.integers(0, 999),
)
def test_event_time_round_trip(
    local: datetime, offset_minutes: int, digits: int, nanos: int
) -> None:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    fraction = f"{local.microsecond:06d}{nanos:03d}"[:digits]
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    text = f"{local.year:04d}{text[text.index('-') :]}"  # strftime may drop leading zeros
    text += f".{fraction}" if digits else ""
    text += f"{sign}{hours:02d}:{minutes:02d}"
    expected_micro = int(fraction[:6].ljust(6, "0")) if digits else 0
    expected = local.replace(microsecond=expected_micro) - timedelta(minutes=offset_minutes)
    assert parse_event(event(time=text)).event_time == expected.replace(tzinfo=UTC)


# --- required fields and reasons --------------------------------------------------------------


def test_missing_fields_are_named() -> None:
    body = event()
    del body["job"]["name"]
    assert reason_of(body) == "missing job.name"
    assert reason_of({}) == (
        "missing eventType; missing eventTime; missing run.runId; missing job.namespace; "
        "missing job.name"
    )
    assert reason_of(event(run=[], job="etl")) == (
        "run is an array, not an object; missing run.runId; job is a string, not an object; "
        "missing job.namespace; missing job.name"
    )
    assert reason_of(event(name="  ")) == "job.name is empty"
    assert reason_of(event(name=7)) == "job.name is a number, not a string"
    assert reason_of({"dataset": {"namespace": "n", "name": "d"}, **event(run=None)}).startswith(
        "not a run event"
    )


@pytest.mark.parametrize("obj", [None, 1, 1.5, True, "START", [event()]])
def test_non_objects_are_rejected(obj: object) -> None:
    assert reason_of(obj).endswith(", not an object")


def test_event_type_is_upper_case_only() -> None:
    assert reason_of(event("complete")) == (
        "eventType 'complete' is not one of START, RUNNING, COMPLETE, FAIL, ABORT, OTHER "
        "(did you mean 'COMPLETE'?)"
    )
    assert reason_of(event("DONE")).startswith("eventType 'DONE' is not one of")
    assert reason_of(event(None)) == "missing eventType"


@pytest.mark.parametrize(
    ("event_type", "state"),
    [
        ("START", "running"),
        ("RUNNING", "running"),
        ("COMPLETE", "success"),
        ("FAIL", "failed"),
        ("ABORT", "aborted"),
        ("OTHER", None),
    ],
)
def test_state_of_each_event_type(event_type: str, state: str | None) -> None:
    assert event_type in EVENT_TYPES
    assert parse_event(event(event_type)).state == state


def test_run_id_must_be_a_canonical_uuid_and_is_lower_cased() -> None:
    assert reason_of(event(run_id="abc")) == "run.runId 'abc' is not a UUID"
    compact = "11111111111141118111111111111111"
    assert reason_of(event(run_id=compact)) == f"run.runId '{compact}' is not a UUID"
    braces = "{11111111-1111-4111-8111-111111111111}"
    assert reason_of(event(run_id=braces)) == f"run.runId '{braces}' is not a UUID"
    assert reason_of(event(run={"runId": 5})) == "run.runId is a number, not a string"
    upper = "0192963F-929E-731B-A075-9BB14BF41D38"  # a v7 UUID, upper-case
    assert parse_event(event(run_id=upper)).run_id == upper.lower()


def test_control_characters_are_escaped_in_reasons() -> None:
    assert reason_of(event(run_id="a\nb")) == "run.runId 'a\\nb' is not a UUID"


def test_long_values_are_clipped_in_reasons() -> None:
    reason = reason_of(event(run_id="x" * 100_000))
    assert len(reason) < 120
    assert reason.endswith("…' is not a UUID")


def test_placeholders_in_identifying_fields_and_whole_facet_values() -> None:
    assert (
        reason_of(event(run_id="{{RUN_ID}}")) == "run.runId '{{RUN_ID}}' is a template placeholder"
    )
    assert reason_of(event(name="etl_{{ ds }}")) == (
        "job.name 'etl_{{ ds }}' is a template placeholder"
    )
    body = event()
    body["run"]["facets"] = {"nominalTime": {"nominalStartTime": " {{START}} "}}
    assert reason_of(body) == (
        "run.facets.nominalTime.nominalStartTime ' {{START}} ' is a template placeholder"
    )
    body = event(time="{{T}}", run_id="{{R}}", name="{{N}}")
    assert reason_of(body) == (
        "eventTime '{{T}}' is a template placeholder (also in run.runId, job.name)"
    )
    body["producer"] = "{{P}}"
    assert reason_of(body).endswith("(also in run.runId, job.name and 1 more)")


def test_text_quoting_jinja_inside_facets_is_data() -> None:
    body = event("FAIL")
    body["run"]["facets"] = {"errorMessage": {"message": "Compilation Error: {{ ref('x') }}"}}
    body["job"]["facets"] = {"sql": {"query": "select * from {{ ref('orders') }}"}}
    ev = parse_event(body)
    assert ev.error_message == "Compilation Error: {{ ref('x') }}"
    assert ev.facets["job"]["sql"]["query"] == "select * from {{ ref('orders') }}"


def test_producer_and_schema_url_missing_are_warnings() -> None:
    body = event()
    del body["producer"], body["schemaURL"]
    ev = parse_event(body)
    assert ev.warnings == ("missing producer", "missing schemaURL")
    assert (ev.producer, ev.schema_url) == (None, None)
    ev = parse_event(event(producer=3))
    assert ev.warnings == ("producer is a number, not a string; ignored",)


def test_parent_facet() -> None:
    parent_id = uid(2)
    ev = parse_event(with_parent(event(), parent_id.upper(), "dag"))
    assert ev.parent == ParentRef("team", "dag", parent_id)
    assert ev.warnings == ()

    ev = parse_event(with_parent(event(), "not-a-uuid"))
    assert ev.parent is None
    assert ev.warnings == (
        "run.facets.parent.run.runId 'not-a-uuid' is not a UUID; parent ignored",
    )

    own = event()
    ev = parse_event(with_parent(own, own["run"]["runId"]))
    assert ev.parent is None
    assert ev.warnings == ("run.facets.parent names the run itself; parent ignored",)

    body = event()
    body["run"]["facets"] = {"parent": "dag"}
    assert parse_event(body).parent is None

    assert reason_of(with_parent(event(), "{{ any(result) }}")) == (
        "run.facets.parent.run.runId '{{ any(result) }}' is a template placeholder"
    )


def test_error_message_and_rows_out() -> None:
    body = event(
        "FAIL",
        outputs=[
            {"name": "a", "outputFacets": {"outputStatistics": {"rowCount": 5}}},
            {"name": "b"},
            {"name": "c", "outputFacets": {"outputStatistics": {"rowCount": 7, "size": 1}}},
            "garbage",
        ],
    )
    body["run"]["facets"] = {"errorMessage": {"message": "boom", "programmingLanguage": "python"}}
    ev = parse_event(body)
    assert (ev.error_message, ev.rows_out, ev.warnings) == ("boom", 12, ())

    body = event(
        outputs=[
            {"outputFacets": {"outputStatistics": {"rowCount": c}}}
            for c in (True, -1, 1.0, "3", 2**63)
        ]
    )
    ev = parse_event(body)
    assert ev.rows_out is None
    assert len(ev.warnings) == 5
    assert ev.warnings[0] == (
        "outputs[0].outputFacets.outputStatistics.rowCount is not an integer from 0 to 2**63-1; "
        "ignored"
    )
    huge = event(outputs=[{"outputFacets": {"outputStatistics": {"rowCount": 2**62}}}] * 2)
    assert parse_event(huge).rows_out is None
    assert parse_event(event(outputs={"a": 1})).warnings == (
        "outputs is an object, not an array; ignored",
    )

    body = event()
    body["run"]["facets"] = {"errorMessage": {"message": ["x"]}}
    ev = parse_event(body)
    assert ev.error_message is None
    assert ev.warnings == ("run.facets.errorMessage has no string message; ignored",)


def test_facets_are_kept_copied_and_bad_facets_containers_ignored() -> None:
    body = event()
    body["run"]["facets"] = {"acme_custom": {"x": [1, {"y": None}]}}
    body["job"]["facets"] = {"jobType": {"jobType": "TASK"}}
    ev = parse_event(body)
    assert ev.facets == {
        "run": {"acme_custom": {"x": [1, {"y": None}]}},
        "job": {"jobType": {"jobType": "TASK"}},
    }
    body["run"]["facets"]["acme_custom"]["x"].append(2)
    assert ev.facets["run"]["acme_custom"]["x"] == [1, {"y": None}]  # not shared with the input

    body = event()
    body["job"]["facets"] = [1, 2]
    ev = parse_event(body)
    assert ev.facets == {"run": {}, "job": {}}
    assert ev.warnings == ("job.facets is an array, not an object; ignored",)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b.update(x=float("nan")), "x is nan, which JSON cannot hold"),
        (lambda b: b.update(x=[float("inf")]), "x[0] is inf, which JSON cannot hold"),
        (lambda b: b.update(x={1: 2}), "x has a key that is not a string"),
        (lambda b: b.update(x={"\ud800": 2}), "x has a key with an unpaired surrogate"),
        (lambda b: b.update(x="a\udc00"), "x holds an unpaired surrogate, not valid Unicode"),
        (lambda b: b.update(x={1, 2}), "x is a Python set, not a JSON value"),
        (lambda b: b.update(x=10**5000), "x is an integer too long to write as JSON"),
    ],
)
def test_values_json_cannot_hold_are_errors(mutate, reason: str) -> None:
    body = event()
    mutate(body)
    assert reason_of(body) == reason


def test_depth_is_limited_and_self_reference_is_safe() -> None:
    body = event()
    deep: list = []
    body["x"] = deep
    for _ in range(MAX_DEPTH + 5):
        deep.append([])
        deep = deep[0]
    assert reason_of(body).endswith(f"is nested more than {MAX_DEPTH} levels deep")
    loop: dict = {}
    loop["self"] = loop
    assert "nested more than" in reason_of(event(x=loop))
    payload = json.dumps(event(x=json.loads("[" * 500 + "]" * 500)))
    _, errors = parse_payload(payload)
    assert "nested more than" in errors[0].reason


def test_paths_in_reasons_quote_odd_keys_and_stay_short() -> None:
    assert (
        reason_of(event(x={"a.b\n": float("nan")})) == "x.'a.b\\n' is nan, which JSON cannot hold"
    )
    deep: dict = {}
    body = event(x=deep)
    for _ in range(MAX_DEPTH):
        deep["k" * 50] = {}
        deep = deep["k" * 50]
    reason = reason_of(body)
    assert reason.startswith("…")
    assert len(reason) < 200


def test_event_error_is_a_value_error_that_pickles() -> None:
    error = EventError("f.json:3", "missing job.name")
    assert isinstance(error, ValueError)
    assert str(error) == "f.json:3: missing job.name"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.where, copy.reason) == (error.where, error.reason)


# --- idempotence and roll-up ------------------------------------------------------------------


def test_repeated_events_have_equal_dedup_keys_across_time_spellings() -> None:
    first = parse_event(event("COMPLETE", "2025-01-02T13:04:05.5+10:00"))
    again = parse_event(event("COMPLETE", "2025-01-02T03:04:05.500000Z"))
    assert first.dedup_key == again.dedup_key
    assert first.dedup_key == (
        first.run_id,
        "COMPLETE",
        datetime(2025, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
    )
    assert first.dedup_key != parse_event(event("FAIL", "2025-01-02T03:04:05.5Z")).dedup_key
    events, _ = parse_payload(json.dumps([event(), event(), event("COMPLETE")]))
    assert roll_up(events) == roll_up(events[1:])


def test_roll_up_orders_by_event_time_not_input_order() -> None:
    run = uid(1)
    events = [
        parse_event(event("COMPLETE", "2025-01-01T10:05:00Z", run)),
        parse_event(event("RUNNING", "2025-01-01T10:01:00+01:00", run)),  # 09:01 UTC
        parse_event(event("START", "2025-01-01T10:00:00+01:00", run)),  # 09:00 UTC
    ]
    (rollup,) = roll_up(events).values()
    assert rollup.state == "success"
    assert rollup.started_at == datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    assert rollup.ended_at == datetime(2025, 1, 1, 10, 5, tzinfo=UTC)


def test_start_and_end_at_the_same_instant() -> None:
    run, same = uid(1), "2025-01-01T00:00:00Z"
    events = [parse_event(event(t, same, run)) for t in ("COMPLETE", "RUNNING", "START")]
    (rollup,) = roll_up(events).values()
    assert (rollup.state, rollup.started_at, rollup.ended_at) == (
        "success",
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_late_running_does_not_reopen_a_finished_run_and_other_changes_nothing() -> None:
    run = uid(1)
    events = [
        parse_event(event("START", "2025-01-01T00:00:00Z", run)),
        parse_event(event("FAIL", "2025-01-01T00:01:00Z", run)),
        parse_event(event("RUNNING", "2025-01-01T00:02:00Z", run)),
        parse_event(event("OTHER", "2025-01-01T00:03:00Z", run)),
    ]
    (rollup,) = roll_up(events).values()
    assert (rollup.state, rollup.ended_at) == ("failed", datetime(2025, 1, 1, 0, 1, tzinfo=UTC))
    (only_other,) = roll_up([parse_event(event("OTHER", run_id=uid(9)))]).values()
    assert (only_other.state, only_other.ended_at) == (None, None)
    assert only_other.started_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_rows_and_error_come_from_the_latest_event_carrying_them() -> None:
    run = uid(1)

    def stats(rows: int) -> list:
        return [{"outputFacets": {"outputStatistics": {"rowCount": rows}}}]

    running = event("RUNNING", "2025-01-01T00:01:00Z", run, outputs=stats(10))
    done = event("COMPLETE", "2025-01-01T00:02:00Z", run, outputs=stats(25))
    earlier_error = event("OTHER", "2025-01-01T00:00:30Z", run)
    earlier_error["run"]["facets"] = {"errorMessage": {"message": "retrying"}}
    (rollup,) = roll_up(parse_event(b) for b in (done, running, earlier_error)).values()
    assert (rollup.rows_out, rollup.error_message, rollup.state) == (25, "retrying", "success")


def test_failed_task_rolls_up_to_its_dag_run() -> None:
    dag, ok, bad = uid(10), uid(11), uid(12)
    bodies = [
        event("START", "2025-01-01T00:00:00Z", dag, "dag"),
        with_parent(event("START", "2025-01-01T00:00:01Z", ok, "dag.a"), dag),
        with_parent(event("COMPLETE", "2025-01-01T00:00:02Z", ok, "dag.a"), dag),
        with_parent(event("START", "2025-01-01T00:00:01.5Z", bad, "dag.b"), dag),
        with_parent(event("FAIL", "2025-01-01T00:00:03Z", bad, "dag.b"), dag),
        event("FAIL", "2025-01-01T00:00:04Z", dag, "dag"),
    ]
    bodies[4]["run"]["facets"]["errorMessage"] = {"message": "task b exploded"}
    runs = roll_up(parse_event(b) for b in reversed(bodies))
    assert runs[dag].children == (ok, bad)
    assert runs[dag].state == "failed"
    failing = [runs[c] for c in runs[dag].children if runs[c].state == "failed"]
    assert [(r.job_name, r.error_message) for r in failing] == [("dag.b", "task b exploded")]


@FUZZ
@given(st.randoms(use_true_random=False))
def test_roll_up_is_independent_of_input_order(rng: random.Random) -> None:
    dag, tasks = uid(100), [uid(101), uid(102), uid(103)]
    bodies = [event("START", "2025-01-01T00:00:00Z", dag, "dag")]
    for i, task in enumerate(tasks):
        bodies.append(with_parent(event("START", f"2025-01-01T00:0{i}:01Z", task, f"t{i}"), dag))
        end = "FAIL" if i == 1 else "COMPLETE"
        bodies.append(with_parent(event(end, f"2025-01-01T00:0{i}:30Z", task, f"t{i}"), dag))
    bodies.append(event("FAIL", "2025-01-01T00:05:00Z", dag, "dag"))
    events = [parse_event(b) for b in bodies]
    expected = roll_up(events)
    shuffled = events + rng.sample(events, 3)  # with some repeats
    rng.shuffle(shuffled)
    assert roll_up(shuffled) == expected
    assert expected[dag].children == tuple(tasks)


# --- robustness -------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python callers can pass them
    | st.text(max_size=30)
    | st.sampled_from(["{{X}}", "{{ any(result) }}", *EVENT_TYPES, "2025-01-01T00:00:00Z"])
    | st.sampled_from([uid(1), "11111111-1111-4111-8111-111111111111".upper()])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the valid value, sometimes anything: about a third of near_events are valid."""
    return st.sampled_from([False] * 4 + [True]).flatmap(lambda odd: json_values if odd else valid)


near_events = st.fixed_dictionaries(
    {
        "eventType": maybe(st.sampled_from(EVENT_TYPES)),
        "eventTime": maybe(
            st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-01T10:00:00.5+10:00"])
        ),
        "run": maybe(
            st.fixed_dictionaries(
                {"runId": maybe(st.just(uid(1)))}, optional={"facets": json_values}
            )
        ),
        "job": maybe(
            st.fixed_dictionaries(
                {"namespace": maybe(st.just("ns")), "name": maybe(st.just("job"))},
                optional={"facets": json_values},
            )
        ),
    },
    optional={
        "producer": json_values,
        "schemaURL": json_values,
        "outputs": json_values,
        "extra": json_values,
    },
)


def check_invariants(ev: LineageEvent) -> None:
    assert ev.event_type in EVENT_TYPES
    assert ev.event_time.tzinfo is UTC
    assert str(uuid.UUID(ev.run_id)) == ev.run_id
    assert ev.namespace.strip() and ev.job_name.strip()
    assert ev.rows_out is None or 0 <= ev.rows_out <= 2**63 - 1
    assert set(ev.facets) == {"run", "job"}
    json.dumps(ev.facets, allow_nan=False)
    assert "{{" not in ev.run_id + ev.namespace + ev.job_name


@FUZZ
@given(st.one_of(json_values, near_events))
def test_any_value_gives_an_event_or_an_event_error(value: object) -> None:
    try:
        ev = parse_event(value, "fuzz")
    except EventError as error:
        assert error.where == "fuzz"
        assert error.reason
        assert len(error.reason) < 500
    else:
        check_invariants(ev)


@FUZZ
@given(
    st.lists(st.one_of(json_values, near_events), max_size=5), st.sampled_from(["array", "lines"])
)
def test_any_json_payload_gives_one_result_per_event(values: list, shape: str) -> None:
    try:
        if shape == "array":
            text = json.dumps(values, allow_nan=False)
        else:
            text = "\n".join(json.dumps(v, allow_nan=False) for v in values)
    except ValueError:
        return  # NaN/inf: not JSON text
    events, errors = parse_payload(text, "fuzz")
    for ev in events:
        check_invariants(ev)
    if shape == "array" or len(values) > 1:
        assert len(events) + len(errors) == len(values)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    events, errors = parse_payload(data, "bytes")
    assert all(isinstance(e, LineageEvent) for e in events)
    assert all(isinstance(e, EventError) and e.where.startswith("bytes") for e in errors)


@FUZZ
@given(
    st.text(max_size=300) | st.text(alphabet='{}[]":,\n 0123456789.eE-+tnfrualsNI', max_size=300)
)
def test_arbitrary_text_never_raises(text: str) -> None:
    events, errors = parse_payload(text, "text")
    assert all(isinstance(e, LineageEvent) for e in events)
    assert all(isinstance(e, EventError) for e in errors)
