"""Plateau: early stopping's patience and min_delta, across a story's runs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.analytics.plateau import plateau
from mlboard.domain import parse_target

AUC = parse_target("val_auc >= 0.95")
RMSE = parse_target("val_rmse <= 4.0")


def test_a_hand_worked_plateau_towards_a_maximized_target():
    # best so far: .80 .90 .93 .936 .9372 .9376 .938 .938 — the last 5 runs moved it
    # .938 − .93 = .008; 1% of |.95 − .80| is .0015; 0.008 ≥ .0015: still paying.
    values = [0.80, 0.90, 0.93, 0.936, 0.9372, 0.9376, 0.938, 0.935]
    assert plateau(values, AUC) is None
    # two more runs that change nothing: over the last 5, .938 − .9372 = .0008 < .0015
    found = plateau([*values, 0.937, 0.936], AUC)
    assert found is not None
    assert found.improvement == pytest.approx(0.0008)
    assert found.min_delta == pytest.approx(0.0015)
    assert (found.best, found.runs, found.patience) == (0.938, 10, 5)
    assert found.short_by == pytest.approx(0.012)
    assert found.message("ML-12") == (
        "ML-12: the last 5 runs improved val_auc by 0.0008; 0.012 short of 0.95 — "
        "time-box it or accept below target"
    )


def test_a_hand_worked_plateau_towards_a_minimized_target():
    # best so far: 9 6 5 4.8 4.8 4.8 4.8 — min_delta 1% of |4 − 9| = .05; the last 4 runs
    # improved it by 5 − 4.8 = .2: paying with patience 4, not with patience 3 (0).
    values = [9.0, 6.0, 5.0, 4.8, 5.5, 4.9, 5.2]
    assert plateau(values, RMSE, patience=4) is None
    found = plateau(values, RMSE, patience=3)
    assert found is not None and found.improvement == 0.0 and found.best == 4.8
    assert "improved val_rmse by 0; 0.8 short of 4" in found.message("ML-3")


def test_too_few_runs_are_not_a_plateau():
    flat = [0.5] * 5
    assert plateau(flat, AUC) is None  # patience 5 needs 6 runs
    assert plateau([*flat, 0.5], AUC) is not None


def test_a_met_target_is_never_a_plateau():
    assert plateau([0.96] * 10, AUC) is None
    assert plateau([0.5, 0.951, 0.951, 0.951, 0.951, 0.951, 0.951], AUC) is None


def test_an_absolute_min_delta_replaces_the_fraction():
    values = [0.80, 0.85, 0.86, 0.87, 0.88, 0.89, 0.89]  # improved .04 over the last 5
    assert plateau(values, AUC) is None
    assert plateau(values, AUC, min_delta=0.05) is not None
    assert plateau(values, AUC, min_delta_fraction=0.5) is not None  # .5 × .15 = .075


def test_non_finite_values_are_skipped():
    values = [0.5, math.nan, 0.5, 0.5, math.inf, 0.5, 0.5, 0.5]
    found = plateau(values, AUC)
    assert found is not None and found.runs == 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"patience": 0}, "patience"), ({"min_delta": -1.0}, "min_delta"),
     ({"min_delta_fraction": -0.1}, "min_delta")],
)  # fmt: skip
def test_bad_rules_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plateau([0.5] * 10, AUC, **kwargs)


VALUES = st.lists(st.floats(0, 1, allow_nan=False), min_size=0, max_size=15)
TARGETS = st.sampled_from(["val_auc >= 0.9", "val_auc > 0.9", "val_loss <= 0.2", "loss < 0.2"])


@given(VALUES, TARGETS, st.integers(1, 6), st.floats(0, 0.2))
def test_never_fires_when_the_target_is_met(values, target_text, patience, fraction):
    target = parse_target(target_text)
    found = plateau(values, target, patience=patience, min_delta_fraction=fraction)
    if any(target.is_met(value) for value in values):
        assert found is None
    if found is not None:
        assert not target.is_met(found.best) and found.improvement < found.min_delta


@given(VALUES, TARGETS, st.integers(1, 6), st.floats(0, 0.5), st.floats(0, 0.5))
def test_monotone_in_min_delta(values, target_text, patience, small, large):
    small, large = sorted((small, large))
    target = parse_target(target_text)
    if plateau(values, target, patience=patience, min_delta=small) is not None:
        assert plateau(values, target, patience=patience, min_delta=large) is not None


@given(VALUES, TARGETS, st.integers(1, 6))
def test_a_run_that_improves_by_min_delta_or_more_ends_the_plateau(values, target_text, patience):
    target = parse_target(target_text)
    found = plateau(values, target, patience=patience, min_delta=0.01)
    if found is None:
        return
    step = 0.02 if target.maximize else -0.02  # the next run beats the best by 0.02
    better = found.best + step
    again = plateau([*values, better], target, patience=patience, min_delta=0.01)
    assert again is None
