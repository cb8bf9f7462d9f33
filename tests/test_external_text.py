"""Names and messages other systems send (MLflow runs, experiments and models, OpenLineage jobs
and errors, the actor a script runs as, file names) show in the tables, panes, dialogs, titles
and notifications as one line of literal text.

Training code and schedulers send whatever they like: an escape sequence would reach the
terminal and a line break would split a table row. Everything goes in through the real entry
points (an MLflow sqlite store and `sync`, OpenLineage ingest, the checklist service) and is
read back from what the screens render.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from test_openlineage_events import event
from test_tui_data import DRIFT, open_data
from test_tui_experiments import open_experiments, run_names, with_uris
from test_tui_governance import model_story, open_screen, settle
from textual.app import App
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Static

from mlboard.services.data.alerts import evaluate_alerts
from mlboard.services.data.drift import run_drift_check
from mlboard.services.data.lineage_ingest import ingest_payload
from mlboard.services.data.pipelines import set_pipeline
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.gates import check_item
from mlboard.services.stories.records import create_story
from mlboard.services.team.members import add_member
from mlboard.services.workspace import Workspace
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.governance.audit import AuditScreen
from mlboard.tui.screens.governance.screen import GovernanceScreen
from mlboard.tui.screens.models.screen import ModelsScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.screens.stories.story_picker import StoryPickerScreen
from mlboard.tui.widgets.run_table import RunTable

from mlflow_stores import empty_store

SIZE = (200, 50)
# Markup, colour escape, CR LF, tab, bell, line separator, and a right-to-left override that
# would show the rest reversed (`live`).
SENT = "a[b]\x1b[31mred\r\nline\ttab\x07bell\u2028\u202eevil"
SHOWN = "a[b] [31mred line tab bell evil"  # what a person reads: the brackets literally, one line
VISIBLE = SHOWN[:6]  # as much as the narrowest column shows
HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # controls, overrides, separators, surrogates


def controls(text: str) -> str:
    """The control and invisible characters in `text`: none may reach the terminal."""
    return "".join(ch for ch in text if unicodedata.category(ch) in HIDDEN)


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


def screen_lines(app: App) -> list[str]:
    """The screen as a person sees it, line by line, read from the app's SVG screenshot
    (borders and their titles, dialogs and notifications included)."""
    rows = [[" "] * app.size.width for _ in range(app.size.height)]
    pattern = r'<text [^>]*x="([\d.]+)"[^>]*line-(\d+)\)">([^<]*)</text>'
    found = re.findall(pattern, app.export_screenshot())
    assert found, "no text read from the screenshot: has Textual's SVG export changed?"
    for x, line, text in found:
        column = round(float(x) / 12.2)  # the width of a character in the screenshot
        for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if char != "\n" and column + offset < app.size.width:
                rows[int(line)][column + offset] = char
    lines = ["".join(row) for row in rows]
    assert any(line.strip() for line in lines), "the screenshot's text is all blank"
    return lines


def pane_lines(widget: Widget) -> list[str]:
    """A multi-line pane's text, line by line as its content breaks it."""
    text = str(widget.render())
    assert controls(text.replace("\n", "")) == ""
    return [words(line) for line in text.split("\n")]


def pane_text(content: object) -> str:
    """One line of a list (an option's prompt), checked free of control characters."""
    text = str(content)
    assert controls(text) == ""
    return words(text)


@pytest.fixture
def mirrored(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A run, its experiment, its user and a registered model all named with `SENT`, synced;
    the run and a failed one are linked to a story a script (`bot SENT`) created."""
    bot = dataclasses.replace(workspace, actor=f"bot {SENT}")
    key = create_story(bot, "Beat the baseline", {"target": "score >= 0.5"}).key
    store = empty_store(tmp_path / "store")
    run_id = store.run(
        f"exp {SENT}",
        f"run {SENT}",
        story=key,
        metrics={"score": 0.9},
        tags={"mlflow.user": f"user {SENT}"},
    )
    store.run(f"exp {SENT}", f"failed {SENT}", story=key, start=20, status="FAILED")
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


async def test_the_data_screen_shows_lineage_names_and_errors_on_one_line(workspace, tmp_path):
    failed = event("FAIL", name=f"job {SENT}")
    failed["run"]["facets"] = {"errorMessage": {"message": f"err {SENT}"}}
    assert ingest_payload(workspace, json.dumps(failed)).errors == []
    reference = shutil.copy(DRIFT / "small_reference.csv", tmp_path / "ref a[b].csv")
    current = shutil.copy(DRIFT / "small_current.csv", tmp_path / "[red]now\x1b\t.csv")
    run_drift_check(workspace, reference, current, model=f"drift {SENT}")
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
        titles = [line for line in screen_lines(app) if "#1: " in line]
        assert len(titles) == 1 and "#1: [red]now .csv vs ref a[b].csv" in titles[0], titles


async def test_acknowledging_an_alert_names_the_job_and_the_actor_on_one_line(workspace):
    failed = event("FAIL", name=f"job {SENT}")
    assert ingest_payload(workspace, json.dumps(failed)).errors == []
    [alert] = evaluate_alerts(workspace).opened
    app = MlboardApp(dataclasses.replace(workspace, actor=f"bot {SENT}"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_data(pilot)
        screen.table("alerts").focus()
        await pilot.press("A")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert said == [f"Alert #{alert.id} acknowledged by @bot {SHOWN}: team/job {SHOWN}"]
        assert controls("".join(screen_lines(app))) == ""


async def test_a_bad_filter_names_synced_experiments_literally_in_its_tooltip(workspace, tmp_path):
    store = empty_store(tmp_path / "store")
    store.run("base [/tmp]", "baseline")  # read as markup, the name would raise on hover
    store.run(f"exp {SENT}", "tuned")
    with_uris(workspace, store.uri)
    sync(workspace, store.uri)
    app = MlboardApp(workspace)
    app.TOOLTIP_DELAY = 0.01
    async with app.run_test(size=SIZE, tooltips=True) as pilot:
        await open_experiments(pilot)
        await pilot.press("slash", *"exp:nope")
        await pilot.pause()
        box = app.screen.query_one("#run-filter", Input)
        assert box.has_class("invalid") and isinstance(box.tooltip, Content)
        said = box.tooltip.plain
        assert "'nope'" in said and "base [/tmp]" in said and f"exp {SHOWN}" in said, said
        assert controls(said) == ""
        await pilot.hover(box)
        await pilot.pause(0.1)  # the tooltip shows on a timer
        tooltip = app.screen.query_one("#textual-tooltip")
        assert tooltip.display and "base [/tmp]" in str(tooltip.render())
        assert controls("".join(screen_lines(app))) == ""


async def test_a_bad_board_filter_shows_what_was_typed_literally_in_its_tooltip(workspace):
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#filter", Input)
        box.value = "kind:[/x]\u202e"
        await pilot.pause()
        assert box.has_class("invalid") and isinstance(box.tooltip, Content)
        assert box.tooltip.plain.startswith("unknown kind '[/x]"), box.tooltip.plain
        assert controls(box.tooltip.plain) == ""
        box.value = "kind:data"  # fixed: the complaint goes with the red
        await pilot.pause()
        assert not box.has_class("invalid") and box.tooltip is None


async def test_an_actor_from_a_script_shows_on_one_line(workspace):
    add_member(workspace, "ana")  # the story's assignee
    key = model_story(workspace)
    bot = dataclasses.replace(workspace, actor=f"bot {SENT}")
    check_item(bot, key, "model_card")
    set_pipeline(bot, f"team/job {SENT}", create=True)  # the newest entry
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, GovernanceScreen())
        gates = pane_lines(screen.query_one("#gate-detail-text"))
        assert [line for line in gates if line.startswith("✓ model_card")] == [
            f"✓ model_card @bot {SHOWN} Nov 25 09:30"
        ]
        audit = await open_screen(pilot, AuditScreen())
        assert_one_line_cells(audit.table, f"bot {SHOWN}")
        entry = pane_lines(audit.query_one("#audit-entry-text"))
        assert entry[0].startswith(f"#{audit.table.highlighted_key} ")
        assert entry[0].endswith(f" @bot {SHOWN} insert pipeline team/job {SHOWN}"), entry[0]
        assert any("tab\\u0007bell\\u2028\\u202eevil" in line for line in entry), entry  # JSON
        assert controls("".join(screen_lines(app))) == ""


async def test_the_story_detail_shows_actor_run_and_experiment_names_on_one_line(mirrored):
    app = MlboardApp(mirrored)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(StoryDetailScreen("ML-1"))
        await settle(pilot)  # the evidence is read in a worker
        history = pane_lines(app.screen.query_one("#story-history"))
        assert [line.split(" ", 2)[2] for line in history if "created" in line] == [
            f"bot {SHOWN} created the story"
        ]
        verdict = pane_lines(app.screen.query_one("#story-verdict"))
        assert verdict == [
            f"best 0.9 (run 'run {SHOWN}') — target score >= 0.5 met ✓",
            f"⚠ run 'failed {SHOWN}' failed after 10 min",
        ]
        assert pane_lines(app.screen.query_one("#story-runs-title"))[0].startswith("Runs (2)")
        options = app.screen.query_one("#story-runs", OptionList)
        runs = [
            pane_text(options.get_option_at_index(index).prompt)
            for index in range(options.option_count)
        ]
        assert runs[0].startswith("★ run a[b] [31mred line tab b… FINISHED score 0.9 ")
        assert runs[1].startswith("failed a[b] [31mred line ta… FAILED ")
        assert [line.endswith(f" exp {SHOWN}") for line in runs] == [True, True]
        assert controls("".join(screen_lines(app))) == ""


async def test_the_link_dialogs_and_notifications_show_the_run_name_on_one_line(mirrored):
    create_story(mirrored, "Another story")
    app = MlboardApp(mirrored)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_experiments(pilot)
        table = app.screen.query_one(RunTable)
        table.move_cursor(row=[words(name) for name in run_names(app)].index(f"run {SHOWN}"))
        dialogs, said = [], []
        for keys in (["L"], [*"ML-2", "enter"], ["U"], [*"ML-2", "enter"], ["U"], ["U"]):
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if isinstance(app.screen, StoryPickerScreen):
                dialogs.append(str(app.screen.query_one("#picker-heading", Static).render()))
                assert any(f"  {dialogs[-1]}  " in line for line in screen_lines(app))
            await pilot.pause()  # a notification is shown after the screen it goes on
            shown = [str(toast.render()) for toast in app.screen.query("Toast")]
            said += [text for text in shown if text not in said]  # older ones may time out
        assert dialogs == [
            f"Link run run {SHOWN} to a story",
            f"Unlink run run {SHOWN} from",
        ]
        assert said == [
            f"Linked run run {SHOWN} to ML-2",
            f"Unlinked run run {SHOWN} from ML-2",
            f"Unlinked run run {SHOWN} from ML-1",
            f"Run run {SHOWN} is not linked to a story.",
        ]
