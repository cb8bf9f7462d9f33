"""Names and messages other systems send (MLflow runs, experiments and models, OpenLineage jobs
and errors, the actor a script runs as) show in the tables and panes as one line of literal text.

Training code and schedulers send whatever they like: an escape sequence would reach the
terminal and a line break would split a table row. Everything goes in through the real entry
points (an MLflow sqlite store and `sync`, OpenLineage ingest, the checklist service) and is
read back from what the screens render.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from pathlib import Path

import pytest
from test_openlineage_events import event
from test_tui_data import DRIFT, open_data
from test_tui_experiments import open_experiments, with_uris
from test_tui_governance import model_story, open_screen
from textual.widget import Widget
from textual.widgets import DataTable

from mlboard.services.alerts import evaluate_alerts
from mlboard.services.drift import run_drift_check
from mlboard.services.gates import check_item
from mlboard.services.members import add_member
from mlboard.services.pipelines import ingest_payload
from mlboard.services.sync import sync
from mlboard.services.workspace import Workspace
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.audit import AuditScreen
from mlboard.tui.screens.governance import GovernanceScreen
from mlboard.tui.screens.models import ModelsScreen
from mlboard.tui.widgets.run_table import RunTable

from mlflow_stores import empty_store

SIZE = (200, 50)
SENT = "a\x1b[31mred\r\nline\ttab\x07bell"  # colour escape, CR LF, tab, bell
SHOWN = "a [31mred line tab bell"  # what a person reads: the bracket text literally, one line
VISIBLE = SHOWN[:6]  # as much as the narrowest column shows


def controls(text: str) -> str:
    """The control characters in `text`: none may reach the terminal from a table."""
    return "".join(ch for ch in text if unicodedata.category(ch) == "Cc")


def words(text: object) -> str:
    """`text` with its runs of spaces as one: how wide a gap is, is the table's business."""
    return " ".join(str(text).split())


def lines_on_screen(widget: Widget) -> list[str]:
    """The widget's lines as they are sent to the terminal."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def assert_one_line_cells(table: DataTable, *expected: str) -> None:
    """Every cell free of control characters, each `expected` text whole in one cell, and the
    rendered rows showing it literally."""
    cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
    assert [c for c in cells if controls(c)] == []
    for text in expected:
        assert text in [words(c) for c in cells], (text, cells)
    lines = lines_on_screen(table)
    assert [line for line in lines if controls(line)] == []
    assert any(VISIBLE in line for line in lines), lines


def pane_lines(widget: Widget) -> list[str]:
    """A multi-line pane's text, line by line as its content breaks it."""
    text = str(widget.render())
    assert controls(text.replace("\n", "")) == ""
    return [words(line) for line in text.split("\n")]


@pytest.fixture
def mirrored(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A run, its experiment, its user and a registered model all named with `SENT`, synced."""
    store = empty_store(tmp_path / "store")
    run_id = store.run(f"exp {SENT}", f"run {SENT}", tags={"mlflow.user": f"user {SENT}"})
    store.client.create_registered_model(f"model {SENT}")
    store.client.create_model_version(f"model {SENT}", f"runs:/{run_id}/model", run_id=run_id)
    with_uris(workspace, store.uri)
    sync(workspace, store.uri)
    return workspace


async def test_the_run_table_shows_mlflow_names_on_one_line(mirrored):
    app = MlboardApp(mirrored)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        table = app.screen.query_one(RunTable)
        assert_one_line_cells(table, f"run {SHOWN}", f"exp {SHOWN}", f"user {SHOWN}")


async def test_the_models_screen_shows_model_and_run_names_on_one_line(mirrored):
    app = MlboardApp(mirrored)
    async with app.run_test(size=SIZE) as pilot:
        models = await open_screen(pilot, ModelsScreen())
        assert_one_line_cells(models.table, f"model {SHOWN}", f"run {SHOWN}")
        governance = await open_screen(pilot, GovernanceScreen())
        assert_one_line_cells(governance.models_table, f"model {SHOWN}")


async def test_the_data_screen_shows_lineage_names_and_errors_on_one_line(workspace):
    failed = event("FAIL", name=f"job {SENT}")
    failed["run"]["facets"] = {"errorMessage": {"message": f"err {SENT}"}}
    assert ingest_payload(workspace, json.dumps(failed)).errors == []
    reference = DRIFT / "small_reference.csv"
    run_drift_check(workspace, reference, DRIFT / "small_current.csv", model=f"drift {SENT}")
    evaluate_alerts(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        assert_one_line_cells(screen.table("pipelines"), f"team/job {SHOWN}")
        assert_one_line_cells(screen.table("drift-reports"), f"drift {SHOWN}")
        assert_one_line_cells(screen.table("alerts"), f"team/job {SHOWN}")  # the subject
        heading = pane_lines(screen.query_one("#pipeline-heading"))
        assert heading[0] == f"team/job {SHOWN}"
        assert f"✗ the last run failed: err {SHOWN}" in heading
        assert f"err {SHOWN}" in pane_lines(screen.query_one("#pipeline-runs"))


async def test_an_actor_from_a_script_shows_on_one_line(workspace):
    add_member(workspace, "ana")  # the story's assignee
    key = model_story(workspace)
    check_item(dataclasses.replace(workspace, actor=f"bot {SENT}"), key, "model_card")
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        gates = pane_lines(screen.query_one("#gate-detail-text"))
        assert [line for line in gates if line.startswith("✓ model_card")] == [
            f"✓ model_card @bot {SHOWN} Nov 25 09:30"
        ]
        audit = await open_screen(pilot, AuditScreen())
        assert_one_line_cells(audit.table, f"bot {SHOWN}")
