"""Comparing runs: only what differs, every metric, the best run in the right direction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.analytics.compare import ComparedRun, diff_runs, maximize
from mlboard.domain import parse_target


def run(run_id: str, start: int | None, params: dict, metrics: dict) -> ComparedRun:
    return ComparedRun(run_id, start, params, metrics)


RUNS = [
    run("a", 1, {"lr": "0.1", "depth": "6", "seed": "7"}, {"val_auc": 0.81, "val_loss": 0.40}),
    run("b", 2, {"lr": "0.01", "depth": "6", "seed": "7"}, {"val_auc": 0.86, "val_loss": 0.45}),
    run("c", 3, {"lr": "0.01", "depth": "8", "seed": "7", "warmup": "5"}, {"val_auc": 0.84}),
]


def test_only_differing_params_are_listed_and_equal_ones_are_counted():
    diff = diff_runs(RUNS)
    assert diff.params == {
        "depth": ["6", "6", "8"],
        "lr": ["0.1", "0.01", "0.01"],
        "warmup": [None, None, "5"],  # logged by one run only: that is a difference too
    }
    assert diff.params_same == {"seed": "7"}


def test_metrics_side_by_side_with_the_best_in_each_direction():
    diff = diff_runs(RUNS)
    assert diff.metrics == {"val_auc": [0.81, 0.86, 0.84], "val_loss": [0.40, 0.45, None]}
    assert diff.best == {"val_auc": 1, "val_loss": 0}  # higher auc, lower loss


def test_the_target_metric_comes_first_in_the_targets_direction():
    target = parse_target("val_f1_drop <= 0.05")  # a name that looks maximized
    runs = [
        run("a", 1, {}, {"accuracy": 0.9, "val_f1_drop": 0.08}),
        run("b", 2, {}, {"accuracy": 0.8, "val_f1_drop": 0.03}),
    ]
    diff = diff_runs(runs, target)
    assert list(diff.metrics) == ["val_f1_drop", "accuracy"]
    assert diff.best == {"val_f1_drop": 1, "accuracy": 0}
    assert diff_runs(runs).best["val_f1_drop"] == 0  # by name alone, higher would win


def test_ties_go_to_the_earlier_run():
    runs = [
        run("late", 20, {}, {"val_auc": 0.9}),
        run("nostart", None, {}, {"val_auc": 0.9}),
        run("early", 10, {}, {"val_auc": 0.9}),
    ]
    assert diff_runs(runs).best == {"val_auc": 2}


def test_system_metrics_are_listed_but_have_no_best():
    runs = [
        run("a", 1, {}, {"system/gpu_0_utilization_percentage": 80.0, "loss": 0.3}),
        run("b", 2, {}, {"system/gpu_0_utilization_percentage": 95.0, "loss": 0.2}),
    ]
    diff = diff_runs(runs)
    assert "system/gpu_0_utilization_percentage" in diff.metrics
    assert diff.best == {"loss": 1}


def test_a_metric_nobody_has_a_value_for_has_no_best():
    diff = diff_runs([run("a", 1, {}, {"val_auc": None}), run("b", 2, {}, {"val_auc": None})])
    assert diff.metrics == {"val_auc": [None, None]} and diff.best == {}


@pytest.mark.parametrize(
    ("name", "higher"),
    [("val_loss", False), ("test_rmse", False), ("mae", False), ("perplexity", False),
     ("p95_latency_ms", False), ("val_error_rate", False), ("val_auc", True), ("ndcg_at_10", True),
     ("recall_at_50", True)],
)  # fmt: skip
def test_direction_by_name(name, higher):
    assert maximize(name) is higher


PARAMS = st.dictionaries(st.sampled_from(["lr", "depth", "seed"]), st.sampled_from(["1", "2"]))
METRICS = st.dictionaries(
    st.sampled_from(["val_auc", "val_loss"]), st.none() | st.floats(0, 1, allow_nan=False)
)


@given(st.lists(st.tuples(PARAMS, METRICS), min_size=1, max_size=8))
def test_every_param_is_either_differing_or_the_same_and_best_is_best(specs):
    runs = [run(f"r{i}", i, params, metrics) for i, (params, metrics) in enumerate(specs)]
    diff = diff_runs(runs)
    names = {name for r in runs for name in r.params}
    assert set(diff.params) | set(diff.params_same) == names
    assert not set(diff.params) & set(diff.params_same)
    for values in diff.params.values():
        assert len(set(values)) > 1 or None in values
    for name, index in diff.best.items():
        values = [v for v in diff.metrics[name] if v is not None]
        best = max(values) if diff.maximize[name] else min(values)
        assert diff.metrics[name][index] == best
        assert diff.metrics[name].index(best) == index  # the earliest of equals
