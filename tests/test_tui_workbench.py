"""The experiment workbench in the TUI: the run view, selecting and comparing runs, a story's
models and GPU-hours on its card, the sprint's compute on the Planning screen.

Driven with Textual's Pilot against real MLflow stores (tests/mlflow_stores.py): a sqlite
store mirrored into the sample team's workspace, and a real `mlflow server` stopped to see an
unreachable one.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from test_small_terminal import SMALL, cramped_panes
from textual.widgets import DataTable, OptionList

from mlboard.integrations.mlflow_sync import TrackingStore
from mlboard.services.experiments.metric_history import cached_histories
from mlboard.services.experiments.sync import sync
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.experiments.run_compare import RunCompareScreen
from mlboard.tui.screens.experiments.run_detail import RunDetailScreen
from mlboard.tui.screens.experiments.screen import ExperimentsScreen
from mlboard.tui.screens.opening import open_compare, open_run
from mlboard.tui.screens.planning.screen import PlanningScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.widgets.board_column import BoardColumn
from mlboard.tui.widgets.run_table import RunTable

from mlflow_stores import MlflowStore, empty_store, mlflow_server

SIZE = (150, 44)
TARGET = "val_recall_at_50"  # ML-28's target: val_recall_at_50 >= 0.35, 40 GPU-hours
SHARED = {"embedding_dim": "128", "epochs": "20"}  # the same in every run of ML-28


def workbench_store(folder: Path) -> MlflowStore:
    """ML-28's sweep: three finished runs whose params partly differ, with histories, GPU tags
    and two registered versions, and a failed run; a run of ML-53 (budget 2 GPU-hours) that
    spent 4; an untagged run."""
    store = empty_store(folder)
    ids = {}
    ids["baseline"] = store.run(
        "two-tower", "baseline", story="ML-28",
        params={**SHARED, "lr": "0.01", "negatives": "random"},
        history={TARGET: [0.2, 0.25, 0.29], "val_loss": [0.9, 0.75, 0.7]},
        tags={"mlboard.gpus": "2", "team": "recs [b]"},
    )  # fmt: skip
    ids["hard-neg"] = store.run(
        "two-tower", "hard-neg", story="ML-28", start=30,
        params={**SHARED, "lr": "0.001", "negatives": "hard"},
        history={TARGET: [0.1, 0.3, 0.37], "val_loss": [0.8, 0.5, 0.55]},
        tags={"mlboard.gpus": "2"},
    )  # fmt: skip
    ids["big-batch"] = store.run(
        "two-tower", "big-batch", story="ML-28", start=60,
        params={**SHARED, "lr": "0.01", "batch_size": "4096"},
        history={TARGET: [0.3, 0.33], "val_loss": [0.6, 0.4]},
    )  # fmt: skip
    ids["oom"] = store.run(
        "two-tower", "oom", story="ML-28", start=90, status="FAILED",
        params={**SHARED, "lr": "0.1"}, metrics={TARGET: 0.05},
    )  # fmt: skip
    ids["int8"] = store.run(
        "quantize", "int8-cpu", story="ML-53", start=120, minutes=30,
        metrics={"p95_latency_ms": 31.0}, tags={"mlboard.gpus": "8"},
    )  # fmt: skip
    ids["lgbm"] = store.run("fraud", "lgbm-0.05", start=150, metrics={"val_pr_auc": 0.61})
    client = store.client
    client.create_registered_model("two-tower-recs")
    for name in ("baseline", "hard-neg"):
        client.create_model_version("two-tower-recs", f"runs:/{ids[name]}/model", run_id=ids[name])
    client.set_registered_model_alias("two-tower-recs", "champion", "2")
    store.ids = ids  # type: ignore[attr-defined]
    return store


@pytest.fixture
def store(tmp_path) -> MlflowStore:
    return workbench_store(tmp_path / "store")


@pytest.fixture
def synced(sample_workspace, store):
    """The sample team with the store synced; no history fetched yet."""
    sample_workspace.settings = replace(sample_workspace.settings, tracking_uris=(store.uri,))
    sync(sample_workspace, store.uri)
    return sample_workspace


def text_of(app: MlboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def rows_of(app: MlboardApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_experiments(pilot) -> RunTable:
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExperimentsScreen)
    return pilot.app.screen.query_one(RunTable)


async def highlight(pilot, name: str) -> None:
    table = pilot.app.screen.query_one(RunTable)
    names = [str(table.get_row_at(i)[0]).removeprefix("✓ ") for i in range(table.row_count)]
    table.move_cursor(row=names.index(name))
    await pilot.pause()


async def open_story(pilot, key: str) -> StoryDetailScreen:
    pilot.app.push_screen(StoryDetailScreen(key))
    await settle(pilot)  # the evidence is read in a worker
    screen = pilot.app.screen
    assert isinstance(screen, StoryDetailScreen)
    return screen


# The run view


async def test_enter_in_experiments_opens_the_run_in_full(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "baseline")
        await pilot.press("enter")
        await settle(pilot)  # the histories the cache lacked are fetched in a worker
        screen = app.screen
        assert isinstance(screen, RunDetailScreen) and screen.run_id == store.ids["baseline"]
        title = text_of(app, "#run-title")
        assert "Run baseline" in title and store.ids["baseline"] in title
        fields = text_of(app, "#run-fields")
        for line in (
            "Experiment two-tower",
            "Status     FINISHED",
            "Started    2025-11-24 16:00:00",
            "Ended      2025-11-24 16:10:00",
            "Duration   10m 00s",
            "GPUs       2 · 0.3 GPU-hours",
            "Stories    ML-28 (tag)",
            "Models     two-tower-recs v1",
        ):
            assert line in fields, line
        params = text_of(app, "#run-params").splitlines()
        assert params == [
            "Params (4)",
            "embedding_dim  128",
            "epochs         20",
            "lr             0.01",
            "negatives      random",
        ]
        # the story's target metric first: last, min, max and steps from the fetched history
        assert rows_of(app, "#run-metrics") == [
            [TARGET, "0.29", "0.2", "0.29", "3"],
            ["val_loss", "0.7", "0.7", "0.9", "3"],
        ]
        assert not screen.query_one("#run-progress").display
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)
        await pilot.press("o")  # the story stays one key away
        await pilot.pause()
        assert isinstance(app.screen, StoryDetailScreen) and app.screen.key == "ML-28"


async def test_the_next_run_opened_shows_that_run_from_its_target_metric(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "baseline")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "t")  # chart val_loss, show mlflow.* tags
        await pilot.pause()
        await pilot.press("escape")
        await highlight(pilot, "hard-neg")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunDetailScreen) and "Run hard-neg" in text_of(app, "#run-title")
        assert screen.chart_metric == TARGET
        assert rows_of(app, "#run-metrics")[0] == [TARGET, "0.37", "0.1", "0.37", "3"]
        assert "negatives      hard" in text_of(app, "#run-params")
        assert "mlflow.runName  hard-neg" in text_of(app, "#run-tags")  # the toggle is kept
        assert "two-tower-recs v2 @champion" in text_of(app, "#run-fields")


async def test_mlflow_tags_are_behind_a_toggle_and_tags_are_text(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(RunDetailScreen(store.ids["baseline"]))
        await settle(pilot)
        tags = text_of(app, "#run-tags")
        assert tags.splitlines()[0].startswith("Tags (3)  ·  ")
        assert "mlflow.* hidden, t shows them" in tags
        assert "team           recs [b]" in tags  # literally, never markup
        assert "mlboard.gpus" in tags and "mlflow.runName" not in tags
        await pilot.press("t")
        await pilot.pause()
        tags = text_of(app, "#run-tags")
        assert "mlflow.runName  baseline" in tags and "t hides" in tags
        await pilot.press("t")
        await pilot.pause()
        assert "mlflow.runName" not in text_of(app, "#run-tags")


async def test_the_chart_follows_the_metric_chosen_in_the_table(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(RunDetailScreen(store.ids["hard-neg"]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        assert screen.chart_metric == TARGET  # the target first
        chart = screen.query_one("#run-history-chart")
        assert chart.display and screen.query_one("#run-chart").display
        await pilot.press("down")
        await pilot.pause()
        assert screen.chart_metric == "val_loss"
        assert screen.query_one("#run-history-chart") is chart  # drawn again, not remounted


async def test_from_a_story_enter_on_one_of_its_runs_opens_the_run(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        story = await open_story(pilot, "ML-28")
        runs = story.query_one("#story-runs", OptionList)
        assert runs.option_count == 4
        assert "Runs (4)" in text_of(app, "#story-runs-title")
        runs.focus()
        runs.highlighted = runs.get_option_index(store.ids["hard-neg"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.run_id == store.ids["hard-neg"]
        assert "ML-28 (tag)" in text_of(app, "#run-fields")
        assert "two-tower-recs v2 @champion" in text_of(app, "#run-fields")
        run_view = app.screen
        await pilot.press("o")  # its story again, and from there another run
        await settle(pilot)
        assert isinstance(app.screen, StoryDetailScreen)
        runs = app.screen.query_one("#story-runs", OptionList)
        runs.focus()
        runs.highlighted = runs.get_option_index(store.ids["baseline"])
        await pilot.press("enter")
        await settle(pilot)
        assert "Run baseline" in text_of(app, "#run-title") and app.screen is not run_view
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is run_view and "Run hard-neg" in text_of(app, "#run-title")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is story


class GatedStore(TrackingStore):
    """MLflow's store, each history waiting until the test opens the gate."""

    gate = threading.Event()

    def metric_history(self, run_id, key):
        assert self.gate.wait(timeout=120), "the test never opened the gate"
        return super().metric_history(run_id, key)


async def test_histories_are_fetched_in_a_worker_with_progress(synced, store):
    GatedStore.gate = threading.Event()
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(RunDetailScreen(store.ids["big-batch"], store_factory=GatedStore))
        await pilot.pause()
        progress = app.screen.query_one("#run-progress")
        assert progress.display
        assert "Fetching 2 metric histories from MLflow… 0/2" in text_of(app, "#run-progress")
        assert rows_of(app, "#run-metrics")[0] == [TARGET, "0.33", "—", "—", "—"]
        assert "No history of val_recall_at_50 being fetched." in text_of(app, "#run-chart-note")
        await pilot.press("t")  # the view answers while the worker waits on MLflow
        await pilot.pause()
        assert "mlflow.runName" in text_of(app, "#run-tags")
        GatedStore.gate.set()
        await settle(pilot)
        assert not progress.display
        assert rows_of(app, "#run-metrics")[0] == [TARGET, "0.33", "0.3", "0.33", "2"]
        assert app.screen.query_one("#run-history-chart").display
    assert len(cached_histories(synced, [store.ids["big-batch"]], "val_loss")) == 1


async def test_an_unreachable_server_is_said_in_the_run_view(
    sample_workspace, tmp_path, monkeypatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    folder = tmp_path / "server"
    folder.mkdir()
    with mlflow_server(folder) as server:
        store = MlflowStore(folder, server=server)
        run_id = store.run("two-tower", "remote", story="ML-28", history={TARGET: [0.2, 0.3]})
        sync(sample_workspace, server)
    # the server is gone now
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "remote")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == run_id
        line = text_of(app, "#run-progress")
        assert line.startswith("⚠ cannot ") and "unreachable" in line and server in line
        assert line.endswith("showing what is cached")
        assert rows_of(app, "#run-metrics") == [[TARGET, "0.3", "—", "—", "—"]]
        assert "Stories    ML-28 (tag)" in text_of(app, "#run-fields")


async def test_the_views_keep_room_to_read_in_a_small_terminal(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for view in (RunDetailScreen, RunCompareScreen):
            if view is RunDetailScreen:
                open_run(app, store.ids["baseline"])
            else:
                open_compare(app, story="ML-28")
            await settle(pilot)
            assert isinstance(app.screen, view)
            assert cramped_panes(app.screen) == {}
            assert app.screen.query_one(f"#{app.screen.prefix}-history-chart").region.height > 4
            await pilot.press("escape")
            await pilot.pause()


# Selecting and comparing


async def test_space_selects_runs_and_c_compares_them(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_experiments(pilot)
        await highlight(pilot, "lgbm-0.05")
        await pilot.press("space")  # selects, and the cursor moves on
        await pilot.pause()
        assert "1 selected (C compares, Esc clears)" in text_of(app, "#runs-summary")
        await pilot.press("C")  # one run is not a comparison
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)
        assert "Select at least two runs" in list(app._notifications)[-1].message
        await highlight(pilot, "hard-neg")
        await pilot.press("space", "space")  # hard-neg, then the run below it: baseline
        await pilot.pause()
        await highlight(pilot, "lgbm-0.05")
        await pilot.press("space")  # leaves it out again
        await pilot.pause()
        marked = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "✓ baseline" in marked and "✓ hard-neg" in marked and "lgbm-0.05" in marked
        assert "2 selected" in text_of(app, "#runs-summary")
        await pilot.press("C")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunCompareScreen)
        assert [run.run_id for run in screen.comparison.runs] == [  # in the order selected
            store.ids["hard-neg"],
            store.ids["baseline"],
        ]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # clears the selection
        await pilot.pause()
        assert not table.selected and "selected" not in text_of(app, "#runs-summary")


async def test_differing_params_come_first_and_the_equal_ones_are_counted(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        story = await open_story(pilot, "ML-28")
        await pilot.press("C")  # the story's finished runs: the failed one is left out
        await settle(pilot)
        assert isinstance(app.screen, RunCompareScreen) and app.screen is not story
        summary = text_of(app, "#compare-summary")
        assert "Comparing 3 runs of ML-28" in summary and f"target {TARGET} >= 0.35" in summary
        header = [str(c.label) for c in app.screen.query_one("#compare-params").columns.values()]
        assert header == ["Parameter", "baseline", "hard-neg", "big-batch"]
        title = text_of(app, "#compare-params-title")
        assert title.startswith("Parameters that differ (3)")
        assert "2 equal in every run (hidden, e shows them)" in title
        assert rows_of(app, "#compare-params") == [
            ["batch_size", "—", "—", "4096"],
            ["lr", "0.01", "0.001", "0.01"],
            ["negatives", "random", "hard", "—"],
        ]
        await pilot.press("e")
        await pilot.pause()
        assert rows_of(app, "#compare-params")[3:] == [
            ["embedding_dim", "128", "128", "128"],
            ["epochs", "20", "20", "20"],
        ]
        assert "(shown, e hides them)" in text_of(app, "#compare-params-title")
        # the best per metric: the target's direction for the target, lower for a loss
        assert rows_of(app, "#compare-metrics") == [
            [f"◎ {TARGET} ↑", "0.29", "★ 0.37", "0.33"],
            ["val_loss ↓", "0.7", "0.55", "★ 0.4"],
        ]


async def test_the_overlay_charts_the_chosen_metric_of_every_run(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_story(pilot, "ML-28")
        await pilot.press("C")
        await settle(pilot)  # the histories of the charted metric are fetched in a worker
        screen = app.screen
        assert isinstance(screen, RunCompareScreen) and screen.chart_metric == TARGET
        assert screen.query_one("#compare-history-chart").display
        assert not screen.query_one("#compare-chart-note").display  # every run has one
        ids = [run.run_id for run in screen.comparison.runs]
        assert set(cached_histories(synced, ids, TARGET)) == set(ids)
        assert cached_histories(synced, ids, "val_loss") == {}  # fetched when chosen
        await pilot.press("down")
        await settle(pilot)
        assert screen.chart_metric == "val_loss"
        assert set(cached_histories(synced, ids, "val_loss")) == set(ids)
        await pilot.press("right", "enter")  # a run's column: open that run
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == ids[0]


async def test_a_story_without_finished_runs_says_there_is_nothing_to_compare(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        story = await open_story(pilot, "ML-55")
        await pilot.press("C")
        await pilot.pause()
        assert app.screen is story
        (note,) = list(app._notifications)
        assert note.message == "ML-55 has no finished runs to compare"


async def test_no_more_than_fifty_runs_are_selected(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_experiments(pilot)
        table.selected = {f"{index:032x}": None for index in range(50)}
        await highlight(pilot, "baseline")
        await pilot.press("space")
        await pilot.pause()
        assert len(table.selected) == 50 and store.ids["baseline"] not in table.selected
        assert "At most 50 runs" in list(app._notifications)[-1].message


# The board, the Planning screen


def card(app: MlboardApp, status: str, key: str) -> str:
    return str(app.screen.query_one(f"#column-{status}", BoardColumn).cards.get_option(key).prompt)


async def test_cards_show_gpu_hours_against_the_budget_and_the_newest_model(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the cards' facts are read in a worker after the first frame
        done = card(app, "done", "ML-28")
        assert "⚡ 0.7/40 GPU-h" in done and "◈ two-tower-recs v2 @champion" in done
        review = card(app, "review", "ML-53")
        assert "⚡ 4.0/2 GPU-h" in review and "⚠ 1" in review  # over budget is a warning
        assert "◈" not in review
        assert "GPU-h" not in card(app, "todo", "ML-55")  # no budget, nothing said


async def test_planning_shows_the_sprints_compute_beside_capacity(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PlanningScreen())
        await settle(pilot)
        compute = text_of(app, "#plan-compute").splitlines()
        assert compute[0] == "GPU-hours  4.7 of 42 (11%)"
        assert compute[2] == "⚠ over budget: ML-53"
        warnings = text_of(app, "#plan-warnings")
        assert "ML-53 has used 4.0 of its 2 GPU-hours" in warnings
