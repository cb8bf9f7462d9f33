"""`mlboard drift check|list` and the drift service: real files, a real database, a real MLflow."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select
from typer.testing import CliRunner

from mlboard.analytics.drift import ColumnSpec, DriftInputError, check_drift
from mlboard.analytics.drift_files import read_table
from mlboard.analytics.drift_inputs import (
    check_overrides_compared,
    check_tables,
    parse_column_override,
    parse_column_overrides,
)
from mlboard.cli import app
from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.integrations.mlflow_drift import ARTIFACT_NAME, DRIFT_REPORT_TAG, metric_key
from mlboard.services.drift import list_drift_reports, run_drift_check
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database
from mlboard.store.tables import DriftReport

from mlflow_stores import empty_store
from processes import child_env

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data" / "drift"
CHECK_KEYS = [
    "columns",
    "drift_share",
    "dataset_drift",
    "report_id",
    "model",
    "reference_rows",
    "current_rows",
    "skipped",
]
COLUMN_KEYS = ["name", "method", "statistic", "p_value", "threshold", "drifted"]


def churn_frame(rows: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    """Churn-like features; `shift` moves income (in standard deviations) and the plan mix."""
    rng = np.random.default_rng(seed)
    premium = 0.2 + 0.4 * min(shift, 1.0)
    return pd.DataFrame(
        {
            "tenure": rng.integers(1, 73, rows),
            "income": rng.normal(50_000 + 10_000 * shift, 10_000, rows).round(2),
            "plan": rng.choice(
                ["basic", "standard", "premium"], rows, p=[0.8 - premium, 0.2, premium]
            ),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "is_annual": rng.integers(0, 2, rows),
        }
    )


def write_pair(folder: Path, *, rows: int = 1500, shift: float = 0.0, suffix: str = ".csv"):
    """A reference and a current file in `folder`; `shift` > 0 makes income and plan drift.

    The seeds are chosen so that, unshifted, no column drifts by chance at 400 or 1,500 rows
    (Evidently's chi-squared takes the reference's shares as exact, so it flags chance
    differences more often than 5% of the time).
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (
        ("reference", churn_frame(rows, 1)),
        ("current", churn_frame(int(rows * 0.8), 10, shift=shift)),
    ):
        path = folder / f"{name}{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "board.db")


@pytest.fixture
def mlboard(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch):
    """Run `mlboard --db <tmp db> ARGS` in-process; return the result."""
    monkeypatch.setenv("MLBOARD_USER", "tester")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: object):
        return runner.invoke(app, ["--db", database, *map(str, args)])

    return run


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def stored_reports(database: str) -> list[DriftReport]:
    engine = open_database(database)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(DriftReport)).all())
    finally:
        engine.dispose()


def report_count(database: str) -> int:
    if not Path(database).exists():
        return 0
    engine = open_database(database)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(DriftReport)).scalar_one()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# The check and its JSON
# --------------------------------------------------------------------------------------------


def test_json_has_the_documented_keys_and_check_drifts_values(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    data = json.loads(ok(mlboard("drift", "check", reference, current, "--format", "json")))
    assert list(data) == CHECK_KEYS
    assert all(list(column) == COLUMN_KEYS for column in data["columns"])
    expected = check_drift(read_table(reference), read_table(current)).as_json()
    assert data["columns"] == expected["columns"]
    for key in ("drift_share", "dataset_drift", "reference_rows", "current_rows", "skipped"):
        assert data[key] == expected[key]
    assert (data["report_id"], data["model"]) == (1, None)
    methods = {column["name"]: column["method"] for column in data["columns"]}
    assert methods == {
        "tenure": "wasserstein",
        "income": "wasserstein",
        "plan": "jensenshannon",
        "region": "jensenshannon",
        "is_annual": "jensenshannon",
    }
    drifted = {column["name"] for column in data["columns"] if column["drifted"]}
    assert drifted == {"income", "plan"}
    assert (data["drift_share"], data["dataset_drift"]) == (0.4, False)


def test_a_report_is_stored_linked_to_the_model(tmp_path, clock):
    settings = Settings(database=str(tmp_path / "b.db"), database_origin="test", actor="ana")
    ws = Workspace(open_database(settings.database), settings, clock)
    try:
        reference, current = write_pair(tmp_path / "data", shift=1.0)
        checked_at = clock()
        stored = run_drift_check(ws, reference, current, model=" churn-classifier ")
        clock.advance(hours=1)
        other = run_drift_check(ws, reference, reference, model="fraud")
        [report] = [r for r in stored_reports(settings.database) if r.id == stored.report_id]
        assert (report.model_name, report.actor, report.created_at) == (
            "churn-classifier",
            "ana",
            checked_at,
        )
        assert report.reference == str(reference.resolve())
        assert report.current == str(current.resolve())
        assert report.columns == stored.as_json()["columns"]
        assert (report.drift_share, report.dataset_drift) == (0.4, False)
        assert report.mlflow_run_id is None

        assert [r.report_id for r in list_drift_reports(ws)] == [other.report_id, stored.report_id]
        [view] = list_drift_reports(ws, "churn-classifier")
        assert (view.report_id, view.drifted_columns, view.model) == (1, 2, "churn-classifier")
        assert [r.drift_share for r in list_drift_reports(ws, "fraud")] == [0.0]
        assert list_drift_reports(ws, "recs") == []
        assert len(list_drift_reports(ws, limit=1)) == 1
    finally:
        ws.close()


def test_column_overrides_choose_the_test_and_threshold(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    args = ["drift", "check", reference, current, "--format", "json"]
    overrides = [
        "--column=tenure=psi",
        "--column=plan=chi2:0.01",
        "--column=income=wasserstein:5",
        "--column=region=:0.001",
    ]
    data = json.loads(ok(mlboard(*args, *overrides)))
    columns = {column["name"]: column for column in data["columns"]}
    assert (columns["tenure"]["method"], columns["tenure"]["threshold"]) == ("psi", 0.1)
    assert (columns["plan"]["method"], columns["plan"]["threshold"]) == ("chi2", 0.01)
    assert columns["plan"]["p_value"] is not None and columns["plan"]["drifted"]
    assert (columns["income"]["threshold"], columns["income"]["drifted"]) == (5.0, False)
    assert (columns["region"]["method"], columns["region"]["threshold"]) == (
        "jensenshannon",
        0.001,
    )
    expected = check_drift(
        read_table(reference),
        read_table(current),
        overrides={
            "tenure": ColumnSpec("psi"),
            "plan": ColumnSpec("chi2", 0.01),
            "income": ColumnSpec("wasserstein", 5),
            "region": ColumnSpec(threshold=0.001),
        },
    )
    assert data["columns"] == expected.as_json()["columns"]


def test_psi_share_threshold_and_only(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    base = ["drift", "check", reference, current, "--format", "json"]
    data = json.loads(ok(mlboard(*base, "--psi", "--threshold-share", "0.4")))
    assert {column["method"] for column in data["columns"]} == {"psi"}
    assert data["dataset_drift"] is True
    data = json.loads(ok(mlboard(*base, "--only", "income", "--only", "region")))
    assert [column["name"] for column in data["columns"]] == ["income", "region"]
    assert data["drift_share"] == 0.5


@pytest.mark.parametrize(
    ("text", "name", "spec"),
    [
        ("tenure=psi", "tenure", ColumnSpec("psi")),
        ("plan=chi2:0.01", "plan", ColumnSpec("chi2", 0.01)),
        ("income=wasserstein:0.2", "income", ColumnSpec("wasserstein", 0.2)),
        (" plan = CHISQUARE ", "plan", ColumnSpec("chi2")),
        ("a=b=ks", "a=b", ColumnSpec("ks")),
        ("plan=:0.2", "plan", ColumnSpec(None, 0.2)),
    ],
)
def test_column_override_syntax(text, name, spec):
    assert parse_column_override(text) == (name, spec)


def test_finding_drift_exits_zero_unless_fail_on_drift(mlboard, tmp_path, database):
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    share = ["--threshold-share", "0.4"]
    assert mlboard("drift", "check", reference, current, *share).exit_code == 0
    failed = mlboard("drift", "check", reference, current, *share, "--fail-on-drift")
    assert failed.exit_code == 1
    assert "Dataset drift: 2 of 5 columns drifted" in failed.output
    assert mlboard("drift", "check", reference, reference, "--fail-on-drift").exit_code == 0
    assert report_count(database) == 3  # drift is a finding: the failing check is kept too


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def _bad_files(folder: Path) -> dict[str, tuple[list[object], str]]:
    """Name -> (arguments after `drift check`, text the one-line error must contain)."""
    reference, current = write_pair(folder / "good")
    frame = churn_frame(400, 3)
    cases: dict[str, tuple[list[object], str]] = {}

    def csv(name: str, content: str | bytes) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    cases["missing file"] = ([folder / "nope.csv", current], "nope.csv: no such file")
    cases["empty csv"] = ([reference, csv("empty.csv", "")], "empty.csv: the file is empty")
    cases["header only"] = (
        [reference, csv("header.csv", "tenure,plan\n")],
        "header.csv: the table has no rows (only a header)",
    )
    garbage = bytes(np.random.default_rng(5).integers(128, 256, 3000, dtype=np.uint8))
    cases["garbage bytes"] = ([reference, csv("garbage.csv", garbage)], "garbage.csv: not UTF-8")
    cases["ragged csv"] = (
        [reference, csv("ragged.csv", "tenure,plan\n1,basic\n2,basic,extra\n")],
        "ragged.csv: cannot read the table: Error tokenizing data. C error: "
        "Expected 2 fields in line 3",
    )
    cases["no common column"] = (
        [reference, csv("other.csv", "a,b\n1,2\n")],
        "have no column in common",
    )
    empty_income = frame.assign(income=np.nan)
    empty_income.to_csv(folder / "nan.csv", index=False)
    cases["all-NaN column"] = (
        [reference, folder / "nan.csv"],
        "nan.csv: column 'income' has no values (400 rows, all missing)",
    )
    banded = frame.assign(income=pd.cut(frame["income"], 3, labels=["low", "mid", "high"]))
    banded.to_csv(folder / "banded.csv", index=False)
    cases["numbers vs text"] = (
        [reference, folder / "banded.csv"],
        f"banded.csv: column 'income' holds text where {reference} holds numbers (row 1: ",
    )
    texty = frame.astype({"income": object})
    texty.loc[41, "income"] = "n.a."
    texty.to_csv(folder / "texty.csv", index=False)
    cases["mixed types"] = (
        [texty_path := folder / "texty.csv", texty_path],
        "texty.csv: column 'income' mixes numbers and text (row 42: 'n.a.')",
    )
    cases["numbers, then mixed"] = (
        [reference, folder / "texty.csv"],
        "texty.csv: column 'income' mixes numbers and text (row 42: 'n.a.')",
    )
    cases["bad --column spec"] = ([reference, current, "--column", "tenure"], "--column 'tenure'")
    cases["unknown method"] = (
        [reference, current, "--column", "tenure=kss"],
        "unknown drift method 'kss'",
    )
    cases["numeric test on categories"] = (
        [reference, current, "--column", "plan=ks"],
        "column 'plan': method 'ks' needs numbers",
    )
    cases["override of a missing column"] = (
        [reference, current, "--column", "churned=psi"],
        "reference.csv: no column 'churned'",
    )
    cases["bad threshold"] = (
        [reference, current, "--column", "plan=chi2:often"],
        "threshold 'often' is not a number",
    )
    cases["bad share"] = ([reference, current, "--threshold-share", "1.5"], "share threshold")
    cases["unknown file type"] = ([reference, csv("notes.txt", "x")], "unsupported file type")
    return cases


BAD_CASES = [
    "missing file",
    "empty csv",
    "header only",
    "garbage bytes",
    "ragged csv",
    "no common column",
    "all-NaN column",
    "numbers vs text",
    "mixed types",
    "numbers, then mixed",
    "bad --column spec",
    "unknown method",
    "numeric test on categories",
    "override of a missing column",
    "bad threshold",
    "bad share",
    "unknown file type",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_a_user_error_and_stores_nothing(mlboard, tmp_path, database, case):
    args, message = _bad_files(tmp_path)[case]
    result = mlboard("drift", "check", *args, "--model", "churn")
    assert isinstance(result.exception, UserError), (case, result.output, result.exception)
    assert result.exception.exit_code == 2
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)
    assert report_count(database) == 0


def test_bad_input_is_one_line_on_stderr_and_exit_two(tmp_path):
    args, _ = _bad_files(tmp_path)["numbers, then mixed"]
    database = tmp_path / "b.db"
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", str(database), "drift", "check", *map(str, args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=child_env(tmp_path, MLBOARD_USER="tester"),
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "texty.csv: column 'income' mixes numbers and text (row 42: 'n.a.')" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert report_count(str(database)) == 0


# --------------------------------------------------------------------------------------------
# Inputs that cannot exhaust the machine, errors that stay one short line
# --------------------------------------------------------------------------------------------


def run_measured(args: list[object], cwd: Path) -> tuple[int, str, str, int]:
    """`mlboard ARGS` in a child process: exit code, stdout, stderr, peak memory in bytes."""
    env = {"PATH": "/usr/bin:/bin", "MLBOARD_USER": "tester", "HOME": str(cwd), "COLUMNS": "200"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])  # this checkout's mlboard
    with (cwd / "out.txt").open("w+") as out, (cwd / "err.txt").open("w+") as err:
        command = [sys.executable, "-m", "mlboard", *map(str, args)]
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        return child.returncode, out.read(), err.read(), usage.ru_maxrss * 1024  # KiB on Linux


def test_a_gzip_bomb_stops_at_the_cap_without_filling_memory(tmp_path):
    """480 KB of gzip that expands to 500 MB of CSV: refused after 10 MB, in one line.

    Without the cap, reading this file took 14 GB of memory at its peak.
    """
    rows = b"1,2\n" * 2_500_000  # 10 MB, compressed once and repeated as gzip members
    member, members = gzip.compress(rows, 9), 50
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"x,y\n") + member * members)
    expanded = len(rows) * members
    assert bomb.stat().st_size < 500_000 and expanded == 500_000_000
    small = tmp_path / "small.csv"
    small.write_text("x,y\n1,2\n3,4\n")
    database = tmp_path / "b.db"

    code, _, _, baseline = run_measured(
        ["--db", database, "drift", "check", small, small], tmp_path
    )
    assert code == 0
    args = ["--db", database, "drift", "check", bomb, small, "--max-bytes", "10MB"]
    code, out, err, peak = run_measured(args, tmp_path)
    assert (code, out) == (2, "")
    assert (
        err == f"error: {bomb}: larger than 10 MB once decompressed; --max-bytes raises the limit\n"
    )
    assert peak - baseline < expanded / 4, (peak, baseline)
    assert report_count(str(database)) == 1  # the first, good check only


def test_max_bytes_takes_units_and_refuses_nonsense(mlboard, tmp_path, database):
    reference, current = write_pair(tmp_path / "data", rows=400)
    assert reference.stat().st_size > 10_000
    result = mlboard("drift", "check", reference, current, "--max-bytes", "10kB")
    assert isinstance(result.exception, UserError) and result.exception.exit_code == 2
    assert str(result.exception) == (
        f"{reference}: larger than 10 kB once decompressed; --max-bytes raises the limit"
    )
    ok(mlboard("drift", "check", reference, current, "--max-bytes", "1.5 MiB"))
    result = mlboard("drift", "check", reference, current, "--max-bytes", "lots")
    assert str(result.exception) == (
        "--max-bytes 'lots': expected a size like 2GB, 500MB, 1.5GiB or 2000000"
    )
    assert report_count(database) == 1


def test_a_huge_cell_or_column_name_is_quoted_short(mlboard, tmp_path):
    """A 5 MB cell in a numeric column, a 1 MB column name: the error quotes ~80 characters."""
    reference, _ = write_pair(tmp_path / "data", rows=400)
    frame = pd.read_csv(reference).astype({"income": object})
    frame.loc[7, "income"] = "\x1b[2J" + "n.a. " * 1_000_000
    frame.to_csv(tmp_path / "cell.csv", index=False)
    result = mlboard("drift", "check", reference, tmp_path / "cell.csv")
    message = str(result.exception)
    assert message.startswith(
        f"{tmp_path / 'cell.csv'}: column 'income' mixes numbers and text (row 8: "
        "'\\x1b[2Jn.a. n.a. "
    )
    assert "n.a. …'); to compare it as labels anyway, use --column income=chi2" in message
    assert len(message) < 400 and message.isprintable()

    long_name = "feature_" * 125_000
    pd.DataFrame({long_name: [1, 2]}).to_csv(tmp_path / "wide.csv", index=False)
    result = mlboard("drift", "check", reference, tmp_path / "wide.csv")
    message = str(result.exception)
    assert "have no column in common" in message and "'feature_feature_" in message
    assert len(message) < 600 and long_name not in message


NAMES = st.text(min_size=1, max_size=8).map(lambda text: text * 20_000) | st.sampled_from(
    ["a", "b", "c"]
)
CELLS = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5).map(lambda text: text * 50_000),
)


@st.composite
def tables(draw) -> pd.DataFrame:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    rows = draw(st.integers(1, 4))
    return pd.DataFrame(
        {name: draw(st.lists(CELLS, min_size=rows, max_size=rows)) for name in names},
        dtype=object,
    )


@given(
    reference=tables(),
    current=tables(),
    options=st.lists(NAMES.map(lambda name: f"{name}=") | NAMES, max_size=2)
    | st.lists(st.sampled_from(["a=chi2", "b=ks:0.1", "c=psi"]), max_size=2),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_refusal_is_one_short_printable_line(reference, current, options):
    """Whatever the tables and options hold, a refusal is one line of a few hundred characters
    (two file names, at most five quoted names each ~80 characters), never the data itself."""
    try:
        overrides = parse_column_overrides(options)
        check_tables(("reference.csv", reference), ("current.csv", current), None, overrides)
        result = check_drift(reference, current, overrides=overrides)
        check_overrides_compared(result, overrides)
    except DriftInputError as error:
        message = str(error)
        assert len(message) < 1200, len(message)
        assert message.isprintable(), message[:200]


def test_a_column_empty_in_both_files_is_skipped_not_refused(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data")
    for path in (reference, current):
        pd.read_csv(path).assign(notes=np.nan).to_csv(path, index=False)
    data = json.loads(ok(mlboard("drift", "check", reference, current, "--format", "json")))
    assert data["skipped"] == [
        {"name": "notes", "reason": "no values in reference (all missing or infinite)"}
    ]
    assert "notes" not in {column["name"] for column in data["columns"]}


def test_a_categorical_override_compares_a_retyped_column_as_labels(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data", rows=400)
    frame = pd.read_csv(current).astype({"is_annual": object})
    frame.loc[3, "is_annual"] = "yes"
    frame.to_csv(current, index=False)
    refused = mlboard("drift", "check", reference, current)
    assert "use --column is_annual=chi2" in str(refused.exception)
    args = ["drift", "check", reference, current, "--column", "is_annual=chi2", "--format", "json"]
    data = json.loads(ok(mlboard(*args)))
    [column] = [c for c in data["columns"] if c["name"] == "is_annual"]
    assert (column["method"], column["statistic"], column["drifted"]) == ("chi2", None, True)


def test_an_override_on_a_column_that_cannot_be_compared_is_refused(mlboard, tmp_path, database):
    reference, current = write_pair(tmp_path / "data")
    for path in (reference, current):
        pd.read_csv(path).assign(when="2026-11-25T09:30:00").to_csv(path, index=False)
    frames = [read_table(reference).assign(when=pd.Timestamp("2026-11-25")) for _ in range(2)]
    for frame, path in zip(frames, (reference, current), strict=True):
        frame.to_parquet(path.with_suffix(".parquet"), index=False)
    args = [reference.with_suffix(".parquet"), current.with_suffix(".parquet")]
    result = mlboard("drift", "check", *args, "--column", "when=psi")
    assert isinstance(result.exception, UserError)
    assert "column 'when' has an override but was not compared: datetime" in str(result.exception)
    result = mlboard("drift", "check", *args, "--only", "tenure", "--column", "plan=chi2")
    assert "column 'plan' has an override but was not compared" in str(result.exception)
    assert report_count(database) == 0


# --------------------------------------------------------------------------------------------
# Formats, Parquet, listing
# --------------------------------------------------------------------------------------------


def test_text_and_markdown_show_every_column_and_the_verdict(mlboard, tmp_path):
    reference, current = write_pair(tmp_path / "data", rows=400, shift=1.0)
    text = ok(mlboard("drift", "check", reference, current, "--model", "churn"))
    for word in ("column", "method", "statistic", "p-value", "threshold", "drifted", "ks", "✓"):
        assert word in text
    assert "Drift report #1:" in text and "· churn" in text
    assert "No dataset drift: 2 of 5 columns drifted (40%, below the 50% threshold)." in text
    assert "Saved as drift report #1 (400 reference rows, 320 current rows)." in text
    md = ok(mlboard("drift", "check", reference, current, "--format", "md"))
    assert md.startswith("### Drift report #2: ")
    assert "| column | method | statistic | p-value | threshold | drifted |" in md
    assert "| income | ks | " in md and "| ✓ |" in md and "| ✗ |" in md
    assert "- No dataset drift: 2 of 5 columns drifted" in md


def test_parquet_round_trip_gives_the_csv_verdict(mlboard, tmp_path):
    csv_pair = write_pair(tmp_path / "csv", shift=1.0)
    parquet_pair = write_pair(tmp_path / "parquet", shift=1.0, suffix=".parquet")
    assert read_table(parquet_pair[0]).equals(read_table(csv_pair[0]))
    from_csv = json.loads(ok(mlboard("drift", "check", *csv_pair, "--format", "json")))
    from_parquet = json.loads(ok(mlboard("drift", "check", *parquet_pair, "--format", "json")))
    assert from_parquet["columns"] == from_csv["columns"]
    assert from_parquet["report_id"] == from_csv["report_id"] + 1


def test_drift_list_in_every_format(mlboard, tmp_path):
    assert "No drift reports." in ok(mlboard("drift", "list"))
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    ok(mlboard("drift", "check", reference, current, "--model", "churn"))
    ok(mlboard("drift", "check", reference, reference, "--model", "fraud"))
    data = json.loads(ok(mlboard("drift", "list", "--format", "json")))
    assert [report["model"] for report in data] == ["fraud", "churn"]
    assert list(data[0]) == [
        "report_id",
        "created_at",
        "actor",
        "model",
        "reference",
        "current",
        "drift_share",
        "dataset_drift",
        "drifted_columns",
        "columns",
        "mlflow_run_id",
    ]
    assert (data[1]["drifted_columns"], data[1]["actor"]) == (2, "tester")
    churn = json.loads(ok(mlboard("drift", "list", "--model", "churn", "--format", "json")))
    assert [report["report_id"] for report in churn] == [1]
    text = ok(mlboard("drift", "list"))
    assert "reference.csv" in text and "2/5" in text and "40%" in text
    md = ok(mlboard("drift", "list", "--format", "md", "--limit", "1"))
    assert md.count("| fraud |") == 1 and "churn" not in md


# --------------------------------------------------------------------------------------------
# MLflow
# --------------------------------------------------------------------------------------------


def test_logging_to_an_mlflow_run_puts_metrics_tag_and_artifact_on_it(mlboard, tmp_path, database):
    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "train-v3")
    reference, current = write_pair(tmp_path / "data", shift=1.0)
    output = ok(
        mlboard(
            "drift",
            "check",
            reference,
            current,
            "--model",
            "churn",
            "--log-to-run",
            run_id,
            "--tracking-uri",
            store.uri,
            "--format",
            "json",
        )
    )
    data = json.loads(output)
    run = store.client.get_run(run_id)
    assert run.data.tags[DRIFT_REPORT_TAG] == str(data["report_id"])
    assert run.data.metrics["drift_share"] == data["drift_share"]
    assert run.data.metrics["drifted_columns"] == 2
    for column in data["columns"]:
        assert run.data.metrics[f"drift.{column['name']}.statistic"] == column["statistic"]
    [artifact] = store.client.list_artifacts(run_id)
    assert artifact.path == ARTIFACT_NAME
    local = store.client.download_artifacts(run_id, ARTIFACT_NAME, str(tmp_path))
    assert json.loads(Path(local).read_text(encoding="utf-8")) == data
    [report] = stored_reports(database)
    assert report.mlflow_run_id == run_id
    text = ok(mlboard("drift", "list"))
    assert run_id in text


def test_the_tracking_uri_can_come_from_the_configuration(mlboard, tmp_path, monkeypatch):
    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "train-v3")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    reference, current = write_pair(tmp_path / "data")
    ok(mlboard("drift", "check", reference, current, "--log-to-run", run_id))
    assert "drift_share" in store.client.get_run(run_id).data.metrics


def test_a_synced_run_is_found_where_it_came_from(tmp_path, workspace):
    from mlboard.services.sync import sync

    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "train-v3")
    sync(workspace, store.uri)
    assert workspace.settings.tracking_uris == ()
    reference, current = write_pair(tmp_path / "data")
    stored = run_drift_check(workspace, reference, current, log_to_run=run_id)
    tags = store.client.get_run(run_id).data.tags
    assert tags[DRIFT_REPORT_TAG] == str(stored.report_id)
    assert list_drift_reports(workspace)[0].mlflow_run_id == run_id


def test_an_unknown_or_deleted_run_is_refused_before_anything_is_stored(
    mlboard, tmp_path, database
):
    store = empty_store(tmp_path / "mlflow")
    deleted = store.run("churn", "old")
    store.client.delete_run(deleted)
    reference, current = write_pair(tmp_path / "data")
    base = ["drift", "check", reference, current, "--tracking-uri", store.uri, "--log-to-run"]
    missing = mlboard(*base, "0" * 32)
    assert isinstance(missing.exception, UserError) and missing.exception.exit_code == 2
    assert f"run {'0' * 32} not found at {store.uri}" in str(missing.exception)
    gone = mlboard(*base, deleted)
    assert "is deleted" in str(gone.exception)
    nowhere = mlboard("drift", "check", reference, current, "--log-to-run", "abc")
    assert "pass --tracking-uri" in str(nowhere.exception)
    assert report_count(database) == 0


def test_a_run_that_refuses_the_metrics_leaves_no_report(tmp_path, workspace, monkeypatch):
    """MLflow is called with the board's write lock free: another writer goes ahead meanwhile."""
    from mlboard.integrations.mlflow_sync import TrackingError
    from mlboard.services.members import add_member, list_members

    store = empty_store(tmp_path / "mlflow")
    run_id = store.run("churn", "train")
    reference, current = write_pair(tmp_path / "data")
    other = Workspace(open_database(workspace.settings.database), workspace.settings)

    def refuse(*args, **kwargs):
        add_member(other, "ana")  # would wait for the lock, then fail, if the check held it
        raise RuntimeError("disk full")

    monkeypatch.setattr("mlflow.MlflowClient.log_batch", refuse)
    with pytest.raises(TrackingError, match=r"cannot log the drift metrics at .*: disk full"):
        run_drift_check(workspace, reference, current, log_to_run=run_id, tracking_uri=store.uri)
    other.close()
    assert list_drift_reports(workspace) == []
    assert [member.handle for member in list_members(workspace)] == ["ana"]


def test_metric_keys_are_names_mlflow_accepts():
    used: set[str] = set()
    assert metric_key("income", used) == "drift.income.statistic"
    assert metric_key("income($)", used) == "drift.income___.statistic"
    assert metric_key("income[$]", used) == "drift.income____2.statistic"
    assert metric_key("../x", used) == "drift.__/x.statistic"
    assert len(metric_key("a" * 400, used)) <= 250


# --------------------------------------------------------------------------------------------
# The sample files and import cost
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "methods"),
    [
        ("", {"wasserstein", "jensenshannon"}),
        ("small_", {"ks", "chi2", "z"}),
    ],
)
def test_the_sample_files_drift_where_designed(mlboard, prefix, methods):
    reference, current = SAMPLES / f"{prefix}reference.csv", SAMPLES / f"{prefix}current.csv"
    data = json.loads(ok(mlboard("drift", "check", reference, current, "--format", "json")))
    drifted = {column["name"] for column in data["columns"] if column["drifted"]}
    assert drifted == {"monthly_charges", "plan"}
    assert {column["method"] for column in data["columns"]} == methods
    assert len(data["columns"]) == 6 and data["skipped"] == []
    assert (data["reference_rows"] > 1000) == (prefix == "")
    assert data["dataset_drift"] is False


def test_importing_the_service_stays_cheap():
    script = (
        "import sys, mlboard.services.drift, mlboard.cli.monitoring; "
        "print(' '.join(m for m in ('mlflow', 'pandas', 'scipy', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
