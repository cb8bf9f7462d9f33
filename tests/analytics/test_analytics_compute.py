"""GPU-hours: the count from a tag or from system metrics, the duration as of a moment, and a
sweep's parent counted through its children."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.analytics.compute import (
    ComputeRun,
    compute_used,
    gpu_count,
    gpu_hours,
    over_budget,
    system_gpus,
    tagged_gpus,
)

HOUR = 3_600_000
NOW = 100 * HOUR


def run(
    run_id: str,
    gpus: int,
    start: float | None = 0,
    end: float | None = 2,
    *,
    status: str = "FINISHED",
    parent: str | None = None,
) -> ComputeRun:
    """A run starting and ending at `start`/`end` hours after the epoch."""
    return ComputeRun(
        run_id,
        parent,
        status,
        None if start is None else int(start * HOUR),
        None if end is None else int(end * HOUR),
        gpus,
    )


SYSTEM_METRICS = [
    "system/gpu_0_utilization_percentage",
    "system/gpu_0_memory_usage_megabytes",
    "system/gpu_1_utilization_percentage",
    "system/gpu_1_power_usage_watts",
    "system/cpu_utilization_percentage",
    "val_auc",
]


def test_the_tag_wins_over_system_metrics():
    assert gpu_count({"mlboard.gpus": "8"}, SYSTEM_METRICS) == 8
    assert gpu_count({"mlboard.gpus": "0"}, SYSTEM_METRICS) == 0  # a CPU job on a GPU node


def test_system_metrics_count_distinct_gpus():
    assert gpu_count({}, SYSTEM_METRICS) == 2
    assert system_gpus(["system/gpu_3_utilization_percentage"]) == 1  # the index is not a count


def test_gpus_on_several_nodes_are_counted_per_node():
    names = [f"system/node_{n}/gpu_{i}_utilization_percentage" for n in (0, 1) for i in (0, 1)]
    assert system_gpus(names) == 4


def test_without_tag_or_system_metrics_a_run_has_no_gpus():
    assert gpu_count({"mlflow.user": "ana"}, ["val_auc", "system/cpu_utilization_percentage"]) == 0


@pytest.mark.parametrize("text", ["", " ", "two", "-1", "0.5", "1e3", "٣", None])
def test_a_tag_that_is_not_a_whole_count_is_ignored(text):
    assert tagged_gpus(text) is None
    assert gpu_count({} if text is None else {"mlboard.gpus": text}, SYSTEM_METRICS) == 2


@given(st.integers(0, 10_000), st.sampled_from(["", " ", "\t"]))
def test_any_whole_count_reads_back(count, padding):
    assert tagged_gpus(f"{padding}{count}{padding}") == count


@given(st.text(max_size=12))
def test_any_tag_text_gives_a_count_or_none(text):
    found = tagged_gpus(text)
    assert found is None or (found >= 0 and found == int(text.strip()))


def test_gpu_hours_are_gpus_times_duration():
    assert gpu_hours(run("a", 4, start=1, end=3.5), NOW) == pytest.approx(10.0)


def test_a_running_run_counts_up_to_the_moment_asked():
    running = run("a", 2, start=90, end=None, status="RUNNING")
    assert gpu_hours(running, NOW) == pytest.approx(20.0)
    assert gpu_hours(running, 95 * HOUR) == pytest.approx(10.0)


def test_time_after_the_moment_asked_does_not_count_yet():
    assert gpu_hours(run("a", 1, start=99, end=103), NOW) == pytest.approx(1.0)
    assert gpu_hours(run("b", 1, start=101, end=103), NOW) == 0.0


def test_a_run_without_times_spent_nothing():
    assert gpu_hours(run("a", 4, start=None), NOW) == 0.0
    assert gpu_hours(run("b", 4, end=None, status="FAILED"), NOW) == 0.0  # never said when
    assert gpu_hours(run("c", 4, start=5, end=4), NOW) == 0.0  # clock skew: ends before start


def test_a_parent_with_children_counts_its_children_not_itself():
    sweep = [
        run("parent", 8, start=0, end=4),  # the driver's own time overlaps its children's
        run("c1", 2, start=0, end=1, parent="parent"),
        run("c2", 2, start=1, end=3, parent="parent"),
        run("other", 1, start=0, end=5),
    ]
    used = compute_used(sweep, NOW)
    assert used.gpu_hours == pytest.approx(2 + 4 + 5)
    assert used.runs_counted == 3


def test_a_parent_alone_counts_itself_and_duplicates_count_once():
    alone = run("parent", 2, start=0, end=2)
    assert compute_used([alone, alone], NOW).gpu_hours == pytest.approx(4.0)


def test_runs_without_gpus_are_not_counted():
    used = compute_used([run("cpu", 0, start=0, end=50), run("gpu", 1, start=0, end=1)], NOW)
    assert (used.gpu_hours, used.runs_counted) == (pytest.approx(1.0), 1)


def test_over_budget_only_above_a_budget():
    assert over_budget(12.5, 12.0)
    assert not over_budget(12.0, 12.0)
    assert not over_budget(1_000.0, None)
    assert over_budget(0.1, 0.0)


@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.floats(0, 50), st.floats(0, 50), st.booleans()),
        max_size=8,
    ),
    st.floats(0, 60),
    st.floats(0, 60),
)
def test_gpu_hours_never_shrink_as_time_passes(specs, earlier, later):
    earlier, later = sorted((earlier, later))
    runs = [
        run(f"r{i}", gpus, start=min(a, b), end=None if live else max(a, b),
            status="RUNNING" if live else "FINISHED")
        for i, (gpus, a, b, live) in enumerate(specs)
    ]  # fmt: skip
    before = compute_used(runs, int(earlier * HOUR)).gpu_hours
    assert compute_used(runs, int(later * HOUR)).gpu_hours >= before >= 0
