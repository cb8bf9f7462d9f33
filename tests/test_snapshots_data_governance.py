"""Snapshots of the Data and Governance screens on deterministic data, frozen clock (review
every change you accept)."""

from __future__ import annotations

from datetime import timedelta

from test_tui_data import monitored
from test_tui_governance import as_member

from mlboard.services.experiments.linking import link_run
from mlboard.services.governance.gates import check_item
from mlboard.services.workspace import Workspace
from mlboard.store.tables import ModelVersion, Run
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.data.screen import DataScreen
from mlboard.tui.screens.governance.screen import GovernanceScreen

SIZE = (160, 45)
URI = "sqlite:///mlflow.db"


def registered_models(ws: Workspace) -> None:
    """Two models as a sync leaves them: runs, versions with aliases, one run linked to ML-58."""
    now = ws.now()
    runs = [
        ("a1", "churn-lgbm-v4", "churn", {"val_auc": 0.861}, 20),
        ("b2", "churn-lgbm-v5-text", "churn", {"val_auc": 0.874, "val_loss": 0.38}, 2),
        ("c3", "fraud-xgb-v5", "fraud", {"val_pr_auc": 0.61}, 6),
    ]
    with ws.writing() as session:
        for run_id, name, experiment, metrics, days in runs:
            start = now - timedelta(days=days)
            session.add(
                Run(run_id=run_id * 16, tracking_uri=URI, experiment_id=experiment,
                    experiment_name=experiment, run_name=name, status="FINISHED", user="ana",
                    start_time=start, end_time=start + timedelta(hours=1), metrics=metrics,
                    synced_at=now)
            )  # fmt: skip
        for model, version, run_id, aliases, days in (
            ("churn-classifier", 1, "a1", ["champion"], 20),
            ("churn-classifier", 2, "b2", ["challenger"], 2),
            ("fraud-detector", 5, "c3", [], 6),
        ):
            session.add(
                ModelVersion(tracking_uri=URI, name=model, version=version, status="READY",
                             run_id=run_id * 16, aliases=aliases,
                             created_at=now - timedelta(days=days))
            )  # fmt: skip
    link_run(ws, "ML-58", "b2" * 16, write_tag=False)


def test_data_screen(snap_compare, workspace):
    monitored(workspace)

    async def open_data(pilot) -> None:
        await pilot.pause()
        pilot.app.push_screen(DataScreen())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab", "tab", "down")  # to the drift report with dataset drift
        await pilot.pause()

    assert snap_compare(MlboardApp(workspace), terminal_size=SIZE, run_before=open_data)


def test_governance_screen(snap_compare, sample_workspace):
    registered_models(sample_workspace)
    check_item(as_member(sample_workspace, "tomasz"), "ML-44", "model_card",
               link="https://wiki/fraud-v5-card")  # fmt: skip

    async def open_governance(pilot) -> None:
        await pilot.pause()
        pilot.app.push_screen(GovernanceScreen())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down")  # ML-44: in progress, personal, approval not by @kwame
        await pilot.pause()

    assert snap_compare(
        MlboardApp(sample_workspace), terminal_size=SIZE, run_before=open_governance
    )
