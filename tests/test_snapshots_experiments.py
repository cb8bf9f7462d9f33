"""Snapshots of the Experiments screen, the link dialog and a story with runs and charts.

The runs come from a real MLflow store with fixed start times (review every change you accept).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
from test_tui_experiments import two_tower_store, with_uris

from mlboard.services.experiments.metric_history import refresh_histories
from mlboard.services.experiments.sync import sync
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen

SIZE = (150, 44)


def counting_uuids() -> Iterator[uuid.UUID]:
    return (uuid.UUID(int=number) for number in itertools.count(1))


def synced_app(workspace, tmp_path) -> MlboardApp:
    """Run ids are uuid4s, and the story's history shows them: number them for the snapshot."""
    numbers = counting_uuids()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: next(numbers))
        store = two_tower_store(tmp_path / "store")
    with_uris(workspace, store.uri)
    sync(workspace, store.uri)
    refresh_histories(workspace)
    return MlboardApp(workspace)


def test_experiments_screen(snap_compare, sample_workspace, tmp_path):
    assert snap_compare(
        synced_app(sample_workspace, tmp_path), terminal_size=SIZE, press=["x", "down"]
    )


def test_link_dialog(snap_compare, sample_workspace, tmp_path):
    assert snap_compare(
        synced_app(sample_workspace, tmp_path), terminal_size=SIZE, press=["x", "L", *"two"]
    )


def test_story_detail_with_runs_and_charts(snap_compare, sample_workspace, tmp_path):
    async def open_story(pilot) -> None:
        board = pilot.app.screen
        for _ in range(100):  # the cards behind show their evidence, read after the first frame
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            if board.evidence:
                break
        assert board.evidence, "the board never read its cards' evidence"
        pilot.app.push_screen(StoryDetailScreen("ML-28"))
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # the fields are in test_snapshots.py; show the runs and charts below them
        pilot.app.screen.query_one("#story-detail").scroll_end(animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(
        synced_app(sample_workspace, tmp_path), terminal_size=SIZE, run_before=open_story
    )
