"""The Data screen driven with Textual's Pilot: pipelines, drift reports and alerts.

Data comes in through the real entry points: runs recorded with `record_run` (and the real
OpenLineage files in tests/fixtures), drift checks run on `sample_data/drift`, alerts from
`evaluate_alerts`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from mlboard.services.data.alerts import evaluate_alerts, list_alerts
from mlboard.services.data.drift import run_drift_check
from mlboard.services.data.lineage_ingest import ingest_payload
from mlboard.services.data.pipelines import record_run, set_pipeline
from mlboard.services.stories.records import list_stories
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Alert, Pipeline, PipelineRun
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.data.rows import run_strip
from mlboard.tui.screens.data.screen import DataScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen

from fixture_files import OPENLINEAGE

SIZE = (160, 45)
DRIFT = Path(__file__).resolve().parents[1] / "sample_data" / "drift"
FEATURES = "warehouse/churn_features"
EVENTS = "warehouse/events_daily"
SYNC = "feast/feature_store_sync"
ERROR = "KeyError: '[red]user_id' [/bar] in step join_events"


def monitored(ws: Workspace) -> Workspace:
    """Three pipelines (healthy, failing with a markup-like error, stale), two drift checks
    (one with dataset drift), and the alerts they raise; every time relative to the clock."""
    now = ws.now()
    set_pipeline(ws, FEATURES, create=True, sla_hours=24, owner="tomasz", sensitivity="personal")
    set_pipeline(ws, EVENTS, create=True, sla_hours=24, owner="priya")
    set_pipeline(ws, SYNC, create=True, sla_hours=6, owner="kwame")
    for day in range(14, 0, -1):
        start = now - timedelta(days=day - 1, hours=3)
        record_run(
            ws, FEATURES, "success", rows=48_000 + (14 - day) * 650 + (day % 3) * 900,
            run_id=f"features-{day}", started_at=start, ended_at=start + timedelta(minutes=12),
        )  # fmt: skip
        failed = day <= 3 or day == 9
        record_run(
            ws, EVENTS, "failed" if failed else "success",
            rows=None if failed else 1_200_000 + day * 10_000,
            error=ERROR if failed else None, run_id=f"events-{day}",
            started_at=start - timedelta(hours=1), ended_at=start - timedelta(minutes=40),
        )  # fmt: skip
    for hours in (54, 30):
        start = now - timedelta(hours=hours)
        record_run(
            ws, SYNC, "success", rows=310, run_id=f"sync-{hours}", started_at=start,
            ended_at=start + timedelta(minutes=4),
        )  # fmt: skip
    run_drift_check(
        ws, DRIFT / "small_reference.csv", DRIFT / "small_current.csv",
        model="churn-classifier", share_threshold=0.3,
    )  # fmt: skip
    run_drift_check(ws, DRIFT / "small_reference.csv", DRIFT / "small_reference.csv")
    evaluate_alerts(ws)
    return ws


async def open_data(pilot) -> DataScreen:
    pilot.app.push_screen(DataScreen())
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(pilot.app.screen, DataScreen)
    return pilot.app.screen


def column_text(screen: DataScreen, table: str, column: str) -> list[str]:
    data = screen.table(table)
    return [str(data.get_cell(row, column)) for row in data.rows]


async def test_the_tables_show_pipelines_drift_and_alerts(workspace):
    monitored(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        # failing first, then stale, then healthy
        assert column_text(screen, "pipelines", "pipeline") == [EVENTS, SYNC, FEATURES]
        assert column_text(screen, "pipelines", "state") == ["failed", "success", "success"]
        assert column_text(screen, "pipelines", "fresh") == ["✗", "✗", "✓"]
        assert column_text(screen, "pipelines", "streak") == ["3", "0", "0"]
        assert column_text(screen, "pipelines", "rows")[2] == "57,350"
        assert len(column_text(screen, "pipelines", "runs")[0]) == 14

        heading = str(screen.query_one("#pipeline-heading").render())
        assert EVENTS in heading and "3 failures in a row" in heading
        assert ERROR in heading  # literal, not markup
        runs = str(screen.query_one("#pipeline-runs").render())
        assert runs.count(ERROR) == 4 and "Latest runs (10 of 14)" in runs

        assert column_text(screen, "drift-reports", "model") == ["—", "churn-classifier"]
        assert column_text(screen, "drift-reports", "drift") == ["✓ stable", "✗ drift"]
        await pilot.click("#drift-reports")
        await pilot.press("down")
        await pilot.pause()
        names = column_text(screen, "drift-columns", "name")
        drifted = column_text(screen, "drift-columns", "drifted")
        assert dict(zip(names, drifted, strict=True))["monthly_charges"] == "✗ yes"
        assert dict(zip(names, drifted, strict=True))["tenure_months"] == "no"
        assert column_text(screen, "drift-columns", "method")[0] == "ks"

        kinds = column_text(screen, "alerts", "kind")
        assert sorted(kinds) == ["drift", "pipeline_failed", "pipeline_stale", "pipeline_stale"]
        assert "stale" in str(screen.query_one("#data-summary").render())


async def test_highlighting_a_pipeline_shows_its_runs_and_sparkline(workspace):
    monitored(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        heading = str(screen.query_one("#pipeline-heading").render())
        assert FEATURES in heading and "owner @tomasz" in heading and "✓ fresh" in heading
        sparkline = screen.query_one("#pipeline-sparkline")
        assert sparkline.display and len(sparkline.data) == 14
        await pilot.press("up")
        await pilot.pause()
        assert "stale: last success 30 h ago (SLA 6 h)" in str(
            screen.query_one("#pipeline-heading").render()
        )


async def test_acknowledging_an_alert_changes_the_database(workspace):
    monitored(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        screen.table("alerts").focus()
        first = list_alerts(workspace)[0]
        await pilot.press("A")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        acknowledged = {a.id: a for a in list_alerts(workspace)}[first.id]
        assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (
            "tester", workspace.now(),
        )  # fmt: skip
        assert column_text(screen, "alerts", "acknowledged")[0].startswith("@tester")
        assert sum(a.acknowledged_at is not None for a in list_alerts(workspace)) == 1


async def test_o_creates_exactly_one_story_and_then_opens_it(workspace):
    monitored(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        screen.table("alerts").focus()
        await pilot.press("o")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        [story] = list_stories(workspace)
        assert story.status == "backlog" and story.kind == "data"
        alert = next(a for a in list_alerts(workspace) if a.story)
        assert alert.id == list_alerts(workspace)[0].id and alert.story == story.key
        assert column_text(screen, "alerts", "story")[0] == story.key
        assert any(story.key in str(n.message) for n in app._notifications)

        await pilot.press("o")  # the alert has its story now: open it, create nothing
        await pilot.pause()
        assert isinstance(app.screen, StoryDetailScreen) and app.screen.key == story.key
        assert len(list_stories(workspace)) == 1


async def test_k_checks_alerts_in_a_worker_and_refreshes(workspace, clock):
    monitored(workspace)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        assert len(column_text(screen, "alerts", "kind")) == 4
        clock.advance(minutes=5)
        record_run(workspace, SYNC, "success", rows=320)  # no longer stale
        record_run(workspace, "orders", "failed", error="timeout", namespace="warehouse")
        await pilot.press("k")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        subjects = column_text(screen, "alerts", "subject")
        assert "warehouse/orders" in subjects
        assert SYNC not in subjects
        with workspace.reading() as session:
            resolved = session.exec(select(Alert).where(Alert.subject == SYNC)).one()
        assert resolved.resolved_at == clock.current
        assert any("1 opened, 1 resolved" in str(n.message) for n in app._notifications)


async def test_the_real_openlineage_files_show_with_their_child_runs(workspace):
    for path in sorted(OPENLINEAGE.rglob("*.json")):
        ingest_payload(workspace, path.read_bytes(), str(path))
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        names = column_text(screen, "pipelines", "pipeline")
        with workspace.reading() as session:
            assert len(names) == len(session.exec(select(Pipeline)).all())
        parents = [
            i for i, name in enumerate(names) if "└" in _runs_of(screen, name)
        ]  # a DAG run lists its tasks under it
        assert parents


def _runs_of(screen: DataScreen, name: str) -> str:
    table = screen.table("pipelines")
    table.move_cursor(row=column_text(screen, "pipelines", "pipeline").index(name))
    screen.show_pipeline()
    return str(screen.query_one("#pipeline-runs").render())


async def test_ten_thousand_runs_load_in_a_worker(workspace, clock):
    set_pipeline(workspace, "warehouse/clicks", create=True, sla_hours=2)
    with workspace.writing() as session:
        pipeline = session.exec(select(Pipeline)).one()
        rows = [
            {
                "pipeline_id": pipeline.id,
                "external_run_id": str(uuid.uuid4()),
                "state": "failed" if n % 50 == 0 else "success",
                "started_at": clock.current - timedelta(minutes=10 * n + 5),
                "ended_at": clock.current - timedelta(minutes=10 * n),
                "rows_out": 1000 + n,
                "facets": {},
            }
            for n in range(10_000)
        ]
        session.connection().execute(insert(PipelineRun), rows)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        assert column_text(screen, "pipelines", "state") == ["failed"]
        assert "Latest runs (10 of 10,000)" in str(screen.query_one("#pipeline-runs").render())


def test_the_strip_scales_rows_and_colours_outcomes():
    from mlboard.services.data.status import RunView

    def run(state: str, rows: int | None) -> RunView:
        return RunView(str(uuid.uuid4()), 1, state, None, None, rows, None, None)

    colors = {"success": "green", "error": "red", "accent": "blue"}
    strip = run_strip([run("running", None), run("failed", None), run("success", 100),
                       run("success", 50)], colors)  # fmt: skip
    assert strip.plain == "▅█▁·"  # oldest first; half the rows, half the height
    assert [span.style for span in strip.spans] == ["green", "green", "red", "blue"]


async def test_an_empty_workspace_says_how_to_get_data(workspace):
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_data(pilot)
        assert "No pipelines yet" in str(screen.query_one("#pipeline-heading").render())
        assert screen.check_action("acknowledge", ()) is None
        await pilot.press("A", "o")  # dimmed: nothing happens, nothing breaks
        await pilot.pause()
        assert list_stories(workspace) == []
