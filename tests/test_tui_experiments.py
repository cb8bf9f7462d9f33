"""The Experiments and Models screens, story evidence in the TUI, and sync from the app.

Driven with Textual's Pilot against a real MLflow sqlite store (tests/mlflow_stores.py) mirrored
into the sample team's workspace.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from textual.widgets import Input, OptionList

from mlboard.services.experiments.metric_history import refresh_histories
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.evidence import story_evidence
from mlboard.services.stories.records import get_story
from mlboard.store.tables import Run
from mlboard.tui.app import MlboardApp
from mlboard.tui.run_filter import RunFilterSuggester, parse_run_filter
from mlboard.tui.screens.board.screen import BoardScreen
from mlboard.tui.screens.experiments.screen import ExperimentsScreen
from mlboard.tui.screens.models.screen import ModelsScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.screens.stories.story_picker import StoryPickerScreen, rank_matches
from mlboard.tui.widgets.board_column import BoardColumn
from mlboard.tui.widgets.run_table import RunTable

from mlflow_stores import MlflowStore, empty_store

SIZE = (150, 44)
TARGET = "val_recall_at_50"  # ML-28's target: val_recall_at_50 >= 0.35


def two_tower_store(folder) -> MlflowStore:
    """Three runs tagged to ML-28 (one failed, one with a history) and one untagged fraud run."""
    store = empty_store(folder)
    store.ids = {}  # type: ignore[attr-defined]
    store.ids["baseline"] = store.run(
        "two-tower", "baseline", story="ML-28", metrics={TARGET: 0.29}
    )
    store.ids["hard-neg"] = store.run(
        "two-tower",
        "hard-neg [red]x",
        story="ML-28",
        start=30,
        history={TARGET: [0.1, 0.2, 0.3, 0.36, 0.37], "train_loss": [1, 0.8, 0.6, 0.5, 0.45]},
    )
    store.ids["big-batch"] = store.run(
        "two-tower", "big-batch", story="ML-28", start=60, status="FAILED", metrics={TARGET: 0.3}
    )
    store.ids["lgbm"] = store.run("fraud", "lgbm-0.05", start=90, metrics={"val_pr_auc": 0.61})
    return store


@pytest.fixture
def store(tmp_path) -> MlflowStore:
    return two_tower_store(tmp_path / "store")


def with_uris(workspace, *uris: str, write_tag: bool = True):
    workspace.settings = replace(workspace.settings, tracking_uris=uris, link_writes_tag=write_tag)
    return workspace


@pytest.fixture
def synced(sample_workspace, store):
    """The sample team with the store synced and the histories the charts need fetched."""
    with_uris(sample_workspace, store.uri)
    sync(sample_workspace, store.uri)
    refresh_histories(sample_workspace)
    return sample_workspace


def table(app: MlboardApp) -> RunTable:
    return app.screen.query_one(RunTable)


def run_names(app: MlboardApp) -> list[str]:
    grid = table(app)
    return [str(grid.get_row_at(index)[0]) for index in range(grid.row_count)]


def card(app: MlboardApp, status: str, key: str) -> str:
    return str(app.screen.query_one(f"#column-{status}", BoardColumn).cards.get_option(key).prompt)


def summary(app: MlboardApp, selector: str = "#runs-summary") -> str:
    return str(app.screen.query_one(selector).render())


async def open_experiments(pilot) -> None:
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExperimentsScreen)


async def highlight(pilot, name: str) -> None:
    names = run_names(pilot.app)
    table(pilot.app).move_cursor(row=names.index(name))
    await pilot.pause()


# Filters, unit level


def test_filter_terms_go_to_the_query_and_words_to_the_rows():
    parsed = parse_run_filter('exp:Fraud status:failed unlinked lr-0.1 "two words"', ["fraud"])
    assert (parsed.experiment, parsed.status, parsed.unlinked) == ("fraud", "FAILED", True)
    assert parsed.words == ("lr-0.1", "two words")
    with pytest.raises(ValueError, match="unknown status 'DONE'"):
        parse_run_filter("status:done", [])
    with pytest.raises(ValueError, match="no synced experiment 'nope'"):
        parse_run_filter("exp:nope", ["fraud"])


async def test_the_filter_completes_experiments_statuses_and_keywords():
    suggester = RunFilterSuggester(lambda: ["fraud", "two tower"])
    assert await suggester.get_suggestion("unlinked exp:fr") == "unlinked exp:fraud"
    assert await suggester.get_suggestion("exp:tw") == 'exp:"two tower"'
    assert await suggester.get_suggestion("status:fa") == "status:failed"
    assert await suggester.get_suggestion("churn unl") == "churn unlinked"
    assert await suggester.get_suggestion("exp:zzz") is None


def test_story_matches_put_the_exact_key_first():
    choices = [("ML-30", "Thirty"), ("ML-3", "Three"), ("ML-13", "Churn calibration")]
    assert [key for key, _ in rank_matches(choices, "ml-3")] == ["ML-3", "ML-30"]
    assert [key for key, _ in rank_matches(choices, "churn calib")] == ["ML-13"]


# The Experiments screen


async def test_the_experiments_screen_lists_synced_runs(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        assert run_names(app) == ["lgbm-0.05", "big-batch", "hard-neg [red]x", "baseline"]
        assert "4 of 4 runs" in summary(app)
        columns = [column.label for column in table(app).run_columns]
        assert columns[:7] == [
            "Run",
            "Experiment",
            "Status",
            "User",
            "Start",
            "Duration",
            "Stories",
        ]
        assert TARGET in columns and "val_pr_auc" in columns
        row = [str(cell) for cell in table(app).get_row(synced_id(app, "hard-neg [red]x"))]
        assert row[1:3] == ["two-tower", "FINISHED"] and row[6] == "ML-28"
        assert row[4] == "Nov 24 16:30" and row[5] == "10m 00s"


def synced_id(app: MlboardApp, name: str) -> str:
    screen = app.screen
    assert isinstance(screen, ExperimentsScreen)
    return next(run.run_id for run in screen.shown if run.label == name)


async def test_filtering_by_experiment_status_unlinked_and_words(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await pilot.press("slash", *"exp:fraud")
        await pilot.pause()
        assert run_names(app) == ["lgbm-0.05"]
        assert "1 of 4 runs match the filter" in summary(app)
        box = app.screen.query_one("#run-filter", Input)
        box.value = "status:failed"
        await pilot.pause()
        assert run_names(app) == ["big-batch"]
        box.value = "unlinked"
        await pilot.pause()
        assert run_names(app) == ["lgbm-0.05"]
        box.value = "exp:two-tower hard"
        await pilot.pause()
        assert run_names(app) == ["hard-neg [red]x"]
        box.value = "status:nope"
        await pilot.pause()
        assert box.has_class("invalid") and run_names(app) == ["hard-neg [red]x"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(run_names(app)) == 4 and app.screen.focused is table(app)


async def test_sorting_by_key_and_by_header(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await pilot.press("greater_than_sign")  # the first column: run name, A to Z
        await pilot.pause()
        assert run_names(app) == ["baseline", "big-batch", "hard-neg [red]x", "lgbm-0.05"]
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert run_names(app)[0] == "lgbm-0.05"
        await pilot.click(RunTable, offset=(3, 0))  # the Run header again: A to Z
        await pilot.pause()
        assert run_names(app)[0] == "baseline"
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        screen.sort = (f"metric:{TARGET}", True)  # what a click on the header sets
        screen.redraw()
        await pilot.pause()
        # best first; the run without the metric goes last either way
        assert run_names(app) == ["hard-neg [red]x", "big-batch", "baseline", "lgbm-0.05"]
        assert f"by {TARGET} ↓" in summary(app)


async def test_linking_a_run_through_the_dialog_writes_the_database_and_the_tag(synced, store):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "lgbm-0.05")
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, StoryPickerScreen)
        await pilot.press(*"ml-53")
        await pilot.pause()
        matches = app.screen.query_one(OptionList)
        assert matches.highlighted_option is not None
        assert matches.highlighted_option.id == "ML-53"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)
        row = [str(cell) for cell in table(app).get_row(store.ids["lgbm"])]
        assert row[6] == "ML-53"
    evidence = story_evidence(synced, "ML-53")
    assert [run.run_id for run in evidence.runs] == [store.ids["lgbm"]]
    assert store.client.get_run(store.ids["lgbm"]).data.tags["mlboard.story"] == "ML-53"


async def test_a_tag_mlflow_refuses_still_links_the_run_and_warns(synced, store):
    store.client.delete_run(store.ids["lgbm"])  # MLflow refuses to tag a deleted run
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "lgbm-0.05")
        await pilot.press("L", *"ML-53", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        row = [str(cell) for cell in table(app).get_row(store.ids["lgbm"])]
        assert row[6] == "ML-53"
        shown = [(n.severity, n.title, n.message) for n in app._notifications]
        assert shown[-2] == ("information", "", "Linked run lgbm-0.05 to ML-53")
        severity, title, message = shown[-1]
        assert (severity, title) == ("warning", "MLflow tag not written")
        assert "cannot tag the run" in message and message.endswith("the next sync tries again")
    assert [run.run_id for run in story_evidence(synced, "ML-53").runs] == [store.ids["lgbm"]]


async def test_unlinking_and_a_refused_link_is_an_error_notification(synced, store):
    with_uris(synced, store.uri, write_tag=False)
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "baseline")
        await pilot.press("U")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert store.ids["baseline"] not in [r.run_id for r in story_evidence(synced, "ML-28").runs]
        row = [str(cell) for cell in table(app).get_row(store.ids["baseline"])]
        assert row[6] == "—"
        await highlight(pilot, "hard-neg [red]x")
        await pilot.press("L", *"ML-28", "enter")  # already linked: the service refuses
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "already linked to ML-28" in errors[-1].message
    # write-tag off: MLflow still says ML-28
    assert store.client.get_run(store.ids["baseline"]).data.tags["mlboard.story"] == "ML-28"


async def test_o_on_a_linked_run_opens_its_story_and_on_an_unlinked_one_the_link_dialog(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        await highlight(pilot, "baseline")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, StoryDetailScreen) and app.screen.key == "ML-28"
        await pilot.press("escape")
        await highlight(pilot, "lgbm-0.05")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, StoryPickerScreen)


def mirror_runs(workspace, count: int) -> None:
    """Many runs straight into the mirror: MLflow itself would take minutes to make them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "run_id": f"run{index:06d}",
            "tracking_uri": "sqlite:///bulk.db",
            "experiment_id": "1",
            "experiment_name": "bulk",
            "run_name": f"trial-{index}",
            "status": "FINISHED",
            "user": "ana",
            "start_time": start + timedelta(minutes=index),
            "end_time": start + timedelta(minutes=index + 5),
            "deleted": False,
            "parent_run_id": None,
            "params": {},
            "tags": {},
            "metrics": {"val_loss": 1 / (index + 1)},
            "synced_at": start,
        }
        for index in range(count)
    ]
    with workspace.writing() as session:
        session.execute(insert(Run), rows)


async def test_runs_load_a_page_at_a_time(workspace):
    mirror_runs(workspace, 1_200)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        assert table(app).row_count == 500
        assert run_names(app)[0] == "trial-1199"
        assert "500 of 1,200 runs" in summary(app) and "newest 500 loaded" in summary(app)
        await pilot.press("end")  # the cursor reaches the last row: the next page comes
        await pilot.pause()
        assert table(app).row_count == 1_000
        assert table(app).cursor_row == 499
        await pilot.press("plus")
        await pilot.pause()
        assert table(app).row_count == 1_200 and run_names(app)[-1] == "trial-0"
        assert "1,200 of 1,200 runs" in summary(app) and "loaded" not in summary(app)


async def test_home_and_end_jump_in_the_run_table_and_g_still_opens_governance(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        grid = table(app)
        grid.focus()
        await pilot.press("G")
        await pilot.pause()
        assert grid.cursor_row == grid.row_count - 1 > 0
        await pilot.press("home")
        await pilot.pause()
        assert grid.cursor_row == 0
        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor_row == grid.row_count - 1
        await pilot.press("g")  # the Governance screen's key, here too
        await pilot.pause()
        assert app.current_mode == "governance"


# Story detail and board cards


async def test_the_cursor_row_shows_where_the_focus_is_across_screen_switches(workspace):
    """The table keeps its rendered rows across a switch; the cursor row still changes its look
    with the focus, and a new theme still repaints every row."""
    mirror_runs(workspace, 30)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        runs = table(app)
        y = runs.header_height  # the cursor's row, first under the header

        def cursor_row() -> tuple[str, object]:
            strip = runs.render_line(y)
            return strip.text.split()[0], next(seg.style for seg in strip if seg.text.strip())

        focused = cursor_row()
        await pilot.press("slash")  # the filter takes the focus
        await pilot.pause()
        blurred = cursor_row()
        assert blurred[0] == focused[0] and blurred[1] != focused[1]
        await pilot.press("escape", "b", "x")  # back to the table, away and back again
        await pilot.pause()
        assert runs.has_focus and cursor_row() == focused
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert cursor_row()[0] == focused[0] and cursor_row()[1] != focused[1]


async def test_story_detail_shows_runs_best_against_target_and_charts(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(StoryDetailScreen("ML-28"))
        await pilot.pause()
        await app.workers.wait_for_complete()  # the evidence is read in a worker
        await pilot.pause()
        verdict = str(app.screen.query_one("#story-verdict").render())
        assert f"best 0.37 (run 'hard-neg [red]x') — target {TARGET} >= 0.35 met ✓" in verdict
        assert "⚠ run 'big-batch' failed" in verdict
        assert "Runs (3)" in str(app.screen.query_one("#story-runs-title").render())
        runs = app.screen.query_one("#story-runs", OptionList)
        lines = [str(runs.get_option_at_index(i).prompt) for i in range(runs.option_count)]
        assert lines[1].startswith("★ hard-neg [red]x") and f"{TARGET} 0.29" in lines[0]
        assert app.screen.query_one("#story-charts").display
        assert app.screen.query_one("#runs-chart").display
        assert app.screen.query_one("#steps-chart").display  # the history was fetched


async def test_story_detail_without_runs_hides_evidence_and_charts(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(StoryDetailScreen("ML-53"))  # a target, no runs
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "no finished run reports p95_latency_ms" in str(
            app.screen.query_one("#story-verdict").render()
        )
        assert not app.screen.query_one("#story-runs").display
        assert not app.screen.query_one("#story-charts").display
        assert not app.screen.query("MetricChart")


async def test_board_cards_show_best_over_target_and_warnings(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the evidence is read in a worker
        await pilot.pause()
        done = card(app, "done", "ML-28")
        assert f"◎ {TARGET} 0.37/0.35 ✓" in done and "⚠ 1" in done
        review = card(app, "review", "ML-53")
        assert "◎ p95_latency_ms < 25" in review and "⚠" not in review


# Screens, sync


async def test_screen_keys_switch_and_show_in_the_palette(synced):
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Experiments", "Models", "Sync", "New"} <= commands
        assert "Board" not in commands  # already there
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Link", "Unlink", "Sort", "Board", "Sync"} <= commands
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)


async def test_models_screen_groups_versions_with_aliases(sample_workspace, store):
    client = store.client
    client.create_registered_model("two-tower-recs")
    for run in ("baseline", "hard-neg"):
        client.create_model_version(
            "two-tower-recs", f"runs:/{store.ids[run]}/model", run_id=store.ids[run]
        )
    client.set_registered_model_alias("two-tower-recs", "champion", "2")
    with_uris(sample_workspace, store.uri)
    sync(sample_workspace, store.uri)
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        grid = app.screen.query_one("#models")
        rows = [[str(c) for c in grid.get_row_at(i)] for i in range(grid.row_count)]
        assert [row[:6] for row in rows] == [
            ["two-tower-recs", "v2", "champion", "READY", "hard-neg [red]x", "ML-28"],
            ["", "v1", "", "READY", "baseline", "ML-28"],
        ]
        assert "1 model · 2 versions" in summary(app, "#models-summary")


async def test_the_sync_key_runs_in_a_worker_and_refreshes_in_place(sample_workspace, store):
    with_uris(sample_workspace, store.uri)
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await open_experiments(pilot)
        assert "No runs synced yet" in summary(app)
        progress: list[str] = []
        app.watch(app, "sub_title", lambda text: progress.append(text))
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(run_names(app)) == 4
        assert "⟳ fetching metric histories" in progress and progress[-1] == ""
        store.run("fraud", "lgbm-0.01", start=120, metrics={"val_pr_auc": 0.64})
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert run_names(app)[0] == "lgbm-0.01"
        assert app.sub_title == ""
        assert any("1 new run," in n.message for n in app._notifications)
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the board reloads when it is shown again
        assert f"{TARGET} 0.37/0.35 ✓" in card(app, "done", "ML-28")


async def test_an_unreachable_tracking_server_is_a_notification_and_the_board_works(
    synced,
):
    with_uris(synced, "http://127.0.0.1:9")
    app = MlboardApp(synced)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "unreachable" in errors[0].message
        assert isinstance(app.screen, BoardScreen) and app.sub_title == ""
        cards = app.screen.query_one("#column-todo", BoardColumn).cards
        cards.focus()
        key = cards.highlighted_option.id
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert get_story(synced, key).status == "in_progress"
        assert "0.37/0.35" in card(app, "done", "ML-28")  # what was last synced


async def test_no_tracking_uri_is_a_warning_saying_how_to_set_one(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        (note,) = list(app._notifications)
        assert note.severity == "warning" and "MLFLOW_TRACKING_URI" in note.message
        assert not app.workers
