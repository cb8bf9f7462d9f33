"""Lead and cycle time: a reopened story is measured to its last done, reopened time included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from analytics_builders import Board

from mlboard.analytics.flow import flow_by_kind, flow_item, flow_items
from mlboard.analytics.stats import percentile, summarize

MON = datetime(2024, 4, 1, 9, tzinfo=UTC)  # Monday 1 April 2024, 09:00


def test_reopened_story() -> None:
    board = Board().create("R", MON, kind="model")
    board.set("R", MON + timedelta(days=1), "status", "in_progress")  # Tue 2nd 09:00
    board.set("R", MON + timedelta(days=3), "status", "done")  # Thu 4th 09:00
    board.set("R", MON + timedelta(days=4), "status", "in_progress")  # Fri 5th 09:00: reopened
    board.set("R", MON + timedelta(days=7, hours=12), "status", "done")  # Mon 8th 21:00
    item = flow_item(board.timelines()["R"])
    assert item is not None
    # lead: Mon 1st 09:00 → Mon 8th 21:00 = 7 days 12 hours = 7.5 days
    assert item.lead_days == pytest.approx(7.5)
    # cycle: first in progress Tue 2nd 09:00 → last done Mon 8th 21:00 = 6.5 days, which
    # includes the day it sat done and the three and a half days it was reopened.
    assert item.cycle_days == pytest.approx(6.5)
    assert item.done_at == MON + timedelta(days=7, hours=12)


def test_only_done_stories_and_never_started_ones_have_no_cycle_time() -> None:
    board = Board().create("OPEN", MON).create("SKIP", MON)
    board.set("OPEN", MON + timedelta(days=1), "status", "in_progress")
    board.set("SKIP", MON + timedelta(days=2), "status", "done")  # straight to done
    timelines = board.timelines()
    assert flow_item(timelines["OPEN"]) is None
    skip = flow_item(timelines["SKIP"])
    assert skip is not None and skip.cycle_days is None and skip.lead_days == pytest.approx(2)
    stats = flow_by_kind(flow_items(timelines.values()))["model"]
    assert (stats.lead.count, stats.cycle.count) == (1, 0)
    assert stats.cycle.median is None


def test_per_kind_median_and_85th_percentile() -> None:
    board = Board()
    for index, cycle in enumerate([1, 2, 3, 4, 10]):
        key = f"D{index}"
        board.create(key, MON, kind="data")
        board.set(key, MON + timedelta(days=1), "status", "in_progress")
        board.set(key, MON + timedelta(days=1 + cycle), "status", "done")
    board.create("B0", MON, kind="bug").set("B0", MON, "status", "in_progress")
    board.set("B0", MON + timedelta(hours=12), "status", "done")
    stats = flow_by_kind(flow_items(board.stories()))
    assert list(stats) == ["data", "bug"]  # StoryKind order
    data = stats["data"]
    # cycle days 1, 2, 3, 4, 10: median 3; p85 rank 0.85 × 4 = 3.4 → 4 + 0.4 × (10 − 4) = 6.4
    assert (data.cycle.count, data.cycle.median, data.cycle.p85) == (5, 3, pytest.approx(6.4))
    # lead = cycle + 1 day
    assert data.lead.median == 4 and data.lead.p85 == pytest.approx(7.4)
    assert stats["bug"].cycle.median == pytest.approx(0.5)


def test_done_window_filters_by_last_done() -> None:
    board = Board().create("A", MON).set("A", MON + timedelta(days=2), "status", "done")
    board.create("B", MON).set("B", MON + timedelta(days=9), "status", "done")
    chosen = flow_items(board.stories(), done_since=MON + timedelta(days=5))
    assert [item.key for item in chosen] == ["B"]


def test_percentile_is_linear_interpolation() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5  # same as statistics.median
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile([7], 85) == 7
    assert summarize([]).median is None
    with pytest.raises(ValueError):
        percentile([], 50)
