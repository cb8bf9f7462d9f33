"""Snapshots of the run view and the compare view (review every change you accept).

The runs come from a real MLflow store with fixed start times and names. Run ids are uuid4s
and shown in the run view: they are numbered for the snapshot. The histories are fetched
before the views open, and the mirrored runs name a fixed tracking URI instead of the test's
temporary folder.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import update
from test_snapshots_experiments import counting_uuids
from test_tui_workbench import workbench_store

from mlboard.services.experiments.metric_history import fetch_run_histories
from mlboard.services.experiments.sync import sync
from mlboard.store.tables import Run
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.experiments.run_detail import RunDetailScreen
from mlboard.tui.screens.opening import open_compare

from mlflow_stores import empty_store

SIZE = (150, 44)


def workbench_app(workspace, tmp_path) -> tuple[MlboardApp, dict[str, str]]:
    # the template store is made once per session: never while the uuids are numbered, so
    # that the runs get the same numbers whichever test made it
    empty_store(tmp_path / "first")
    numbers = counting_uuids()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: next(numbers))
        store = workbench_store(tmp_path / "store")
    workspace.settings = replace(workspace.settings, tracking_uris=(store.uri,))
    sync(workspace, store.uri)
    fetch_run_histories(workspace, list(store.ids.values()))
    with workspace.writing() as session:
        session.execute(update(Run).values(tracking_uri="sqlite:///mlflow.db"))
    return MlboardApp(workspace), store.ids


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_run_view(snap_compare, sample_workspace, tmp_path):
    app, ids = workbench_app(sample_workspace, tmp_path)

    async def open_run(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(RunDetailScreen(ids["baseline"]))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_run)


def test_compare_view(snap_compare, sample_workspace, tmp_path):
    app, _ = workbench_app(sample_workspace, tmp_path)

    async def compare_story(pilot) -> None:
        await settle(pilot)
        open_compare(pilot.app, story="ML-28")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=compare_story)
