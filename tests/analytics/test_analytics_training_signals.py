"""Training signals: metric pairing by name, overfitting, run health and target progress.

Worked examples are built by hand; properties (hypothesis, ~100 examples each) cover the
early-stopping counter, monotone validation curves, best runs and the running-best trend.
"""

from __future__ import annotations

import math
from itertools import accumulate, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlboard.analytics import training_signals as ts
from mlboard.analytics.metric_pairs import (
    TRAIN_WORDS,
    VAL_WORDS,
    MetricPair,
    PairRules,
    higher_is_better,
    pair_metrics,
)
from mlboard.analytics.training_signals import (
    MetricPoint,
    RunSummary,
    RunWarning,
    best_run,
    checks_since_best,
    overfitting,
    run_health,
    target_met,
    trend,
    typical_durations,
)
from mlboard.domain import parse_target

from hypothesis_profiles import examples

T0 = 1_700_000_000_000  # ms
MINUTE = 60_000
HOUR = 60 * MINUTE
LOSS = MetricPair("train_loss", "val_loss", "loss", maximize=False, convention="prefix")
ACCURACY = MetricPair("train_accuracy", "val_accuracy", "accuracy", True, "prefix")


def points(values: list[float], steps: list[int] | None = None) -> list[MetricPoint]:
    """One point per value at steps 0, 1, 2, … (or the given steps), a second apart."""
    steps = list(range(len(values))) if steps is None else steps
    return [MetricPoint(s, v, T0 + s * 1000) for s, v in zip(steps, values, strict=True)]


def run(
    run_id: str = "r1",
    name: str = "lgbm-deep",
    status: str = "FINISHED",
    start: int | None = T0,
    end: int | None = T0 + HOUR,
    experiment: str = "1",
    **metrics: float,
) -> RunSummary:
    return RunSummary(run_id, name, experiment, status, start, end, metrics)


# --- pairing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["train_loss", "val_loss"], [("train_loss", "val_loss", False)]),
        (["training_loss", "validation_loss"], [("training_loss", "validation_loss", False)]),
        (["loss", "val_loss"], [("loss", "val_loss", False)]),  # Keras
        (["accuracy", "val_accuracy"], [("accuracy", "val_accuracy", True)]),  # Keras
        (["loss", "eval_loss", "eval_runtime"], [("loss", "eval_loss", False)]),  # transformers
        (["training_score", "val_score"], [("training_score", "val_score", True)]),  # sklearn
        (
            ["training_f1_score", "test_f1_score", "validation_f1_score"],
            [("training_f1_score", "validation_f1_score", True)],  # test_* only as a last resort
        ),
        (["training_r2_score", "test_r2_score"], [("training_r2_score", "test_r2_score", True)]),
        (["train/loss", "val/loss"], [("train/loss", "val/loss", False)]),
        (["Loss/train", "Loss/val"], [("Loss/train", "Loss/val", False)]),  # TensorBoard style
        (["train-auc", "eval-auc"], [("train-auc", "eval-auc", True)]),  # xgboost autolog
        (
            ["training-binary_logloss", "valid_1-binary_logloss", "valid_0-binary_logloss"],
            [("training-binary_logloss", "valid_0-binary_logloss", False)],  # lightgbm autolog
        ),
        (
            ["train_loss_step", "train_loss_epoch", "val_loss"],
            [("train_loss_epoch", "val_loss", False)],
        ),
        (["Train_Loss", "VAL_Loss"], [("Train_Loss", "VAL_Loss", False)]),
        (
            ["loss", "train_loss", "val_loss", "accuracy", "val_accuracy"],
            [("accuracy", "val_accuracy", True), ("train_loss", "val_loss", False)],
        ),
        (["train_loss", "val_f1", "lr", "epoch", "train_runtime", "eval_runtime"], []),
        (["train_loss", "val/loss"], []),  # separators must agree
    ],
)
def test_pairs_follow_naming_conventions(names, expected) -> None:
    found = [(p.train, p.val, p.maximize) for p in pair_metrics(names)]
    assert found == expected


def test_pair_records_base_and_convention() -> None:
    (pair,) = pair_metrics(["val_loss", "train_loss"])
    assert pair == MetricPair("train_loss", "val_loss", "loss", False, "prefix")
    (keras,) = pair_metrics(["loss", "val_loss"])
    assert (keras.base, keras.convention) == ("loss", "bare")


def test_explicit_pairs_extra_words_and_directions() -> None:
    names = ["fit_objective", "holdout_objective", "train_loss", "val_loss"]
    rules = PairRules(explicit=(("fit_objective", "holdout_objective"),))
    explicit, loss = pair_metrics(names, rules)
    assert (explicit.train, explicit.val, explicit.convention) == (
        "fit_objective",
        "holdout_objective",
        "explicit",
    )
    assert explicit.maximize  # unknown words: maximized by default …
    rules = PairRules(explicit=rules.explicit, directions={"holdout_objective": False})
    assert not pair_metrics(names, rules)[0].maximize  # … unless told
    assert loss.val == "val_loss"
    words = PairRules(train_words=(*TRAIN_WORDS, "fit"), val_words=(*VAL_WORDS, "holdout"))
    (pair,) = pair_metrics(["fit_objective", "holdout_objective"], words)
    assert (pair.base, pair.convention) == ("objective", "prefix")
    assert pair_metrics(["loss", "val_loss"], PairRules(bare=False)) == []


@pytest.mark.parametrize(
    ("name", "maximize"),
    [
        ("loss", False),
        ("val_loss", False),
        ("binary_logloss", False),
        ("mlogloss", False),
        ("merror", False),
        ("rmse", False),
        ("mean_squared_error", False),
        ("perplexity", False),
        ("neg_mean_squared_error", True),
        ("accuracy", True),
        ("f1_score", True),
        ("auc", True),
        ("r2_score", True),
        ("ndcg@10", True),
        ("training_score", True),
        ("something_new", True),
    ],
)
def test_direction_is_guessed_from_the_name(name, maximize) -> None:
    assert higher_is_better(name) is maximize


VOCABULARY = [
    "loss", "val_loss", "train_loss", "training_loss", "validation_loss", "eval_loss",
    "test_loss", "accuracy", "val_accuracy", "train/loss", "val/loss", "Loss/train",
    "Loss/val", "train_loss_epoch", "train_loss_step", "training_score", "val_score",
    "training-auc", "valid_0-auc", "valid_1-auc", "lr", "epoch", "val_f1",
]  # fmt: skip


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), unique=True).flatmap(st.permutations))
def test_pairing_uses_each_name_once_whatever_the_order(names) -> None:
    pairs = pair_metrics(names)
    used = [name for p in pairs for name in (p.train, p.val)]
    assert len(used) == len(set(used))
    assert set(used) <= set(names)
    assert pair_metrics(reversed(names)) == pairs


# --- overfitting --------------------------------------------------------------------------------


def overfit_curves() -> tuple[list[float], list[float]]:
    """Train loss falls steadily 1.0 → 0.1 over 30 steps; validation follows it 0.05 above
    down to step 10, then rises 0.01 a step."""
    train = [1.0 - 0.9 * s / 29 for s in range(30)]
    val = [train[s] + 0.05 if s <= 10 else train[10] + 0.05 + 0.01 * (s - 10) for s in range(30)]
    return train, val


def test_a_run_built_to_overfit_is_flagged_with_its_evidence() -> None:
    train, val = overfit_curves()
    warning = overfitting(run(), points(train), points(val), LOSS)
    assert isinstance(warning, RunWarning)
    assert (warning.run_id, warning.run_name, warning.kind) == ("r1", "lgbm-deep", "overfitting")
    assert warning.message == (
        "run 'lgbm-deep' overfits: val_loss best 0.74 at step 10, 19 checks without improvement "
        "(now 0.93); train/val gap 0.05 → 0.83"
    )
    evidence = warning.evidence
    assert (evidence["best_step"], evidence["checks_since_best"]) == (10, 19)
    assert (evidence["last_step"], evidence["patience"]) == (29, 3)
    assert evidence["best_value"] == pytest.approx(val[10])
    assert evidence["gap_at_best"] == pytest.approx(0.05)
    assert evidence["gap_now"] == pytest.approx(val[29] - train[29])
    assert ts.Warning is RunWarning  # the name still works


def test_a_healthy_run_is_not_flagged() -> None:
    train = [1.0 - 0.03 * s for s in range(30)]
    val = [t + 0.1 for t in train]  # both fall, the gap stays put
    assert overfitting(run(), points(train), points(val), LOSS) is None


def test_noise_within_patience_is_not_flagged() -> None:
    val: list[float] = []
    for k in range(10):  # each new best is followed by two worse checks, then a better one
        best = 1.0 - 0.05 * k
        val += [best, best + 0.02, best + 0.01]
    train = [1.0 - 0.02 * s for s in range(len(val))]
    assert overfitting(run(), points(train), points(val), LOSS, patience=3) is None
    flagged = overfitting(run(), points(train), points(val), LOSS, patience=2)
    assert flagged is not None and flagged.evidence["checks_since_best"] == 2


def test_a_score_that_peaks_while_training_climbs_is_flagged() -> None:
    train = [0.5 + 0.02 * s for s in range(25)]  # 0.50 → 0.98
    val = [train[s] - 0.02 if s <= 12 else 0.72 - 0.01 * (s - 12) for s in range(25)]
    warning = overfitting(run(name="bert-ft"), points(train), points(val), ACCURACY)
    assert warning is not None
    assert (warning.evidence["best_step"], warning.evidence["checks_since_best"]) == (12, 12)
    assert warning.evidence["gap_at_best"] == pytest.approx(0.02)
    assert warning.evidence["gap_now"] == pytest.approx(0.98 - 0.60)
    assert warning.message.startswith("run 'bert-ft' overfits: val_accuracy best 0.72 at step 12")


def test_checks_are_validation_points_aligned_to_the_last_train_point_before_them() -> None:
    train = points([1.0 - 0.02 * s for s in range(41)])  # every step
    val_values = [0.9, 0.8, 0.7, 0.65, 0.6, 0.62, 0.64, 0.66, 0.7]
    val = points(val_values, steps=list(range(0, 41, 5)))  # every 5 steps
    warning = overfitting(run(), train, val, LOSS)
    assert warning is not None
    assert warning.evidence["best_step"] == 20
    assert warning.evidence["checks_since_best"] == 4  # checks, not steps
    assert warning.evidence["gap_at_best"] == pytest.approx(0.6 - 0.6)
    assert warning.evidence["gap_now"] == pytest.approx(0.7 - 0.2)
    late_train = points([0.1] * 5, steps=[50, 51, 52, 53, 54])
    assert overfitting(run(), late_train, val, LOSS) is None  # nothing to compare with


def test_validation_stalling_while_training_diverges_is_not_overfitting() -> None:
    train = [1.0 - 0.05 * s if s <= 10 else 0.5 + 0.05 * (s - 10) for s in range(20)]
    val = [train[s] + 0.1 if s <= 10 else 0.6 + 0.01 * (s - 10) for s in range(20)]
    assert overfitting(run(), points(train), points(val), LOSS) is None  # the gap narrows


def test_min_delta_counts_tiny_improvements_as_none() -> None:
    train = [1.0 - 0.05 * s for s in range(15)]
    val = [1.0 - 0.05 * s if s <= 5 else 0.75 - 0.001 * (s - 5) for s in range(15)]
    assert overfitting(run(), points(train), points(val), LOSS) is None
    warning = overfitting(run(), points(train), points(val), LOSS, min_delta=0.01)
    assert warning is not None and warning.evidence["best_step"] == 5


def test_history_is_cleaned_and_options_checked() -> None:
    train, val = overfit_curves()
    noisy = [*points(val), MetricPoint(12, math.nan, T0), MetricPoint(29, 0.95, T0 + 99_000)]
    noisy.append(MetricPoint(30, None, T0 + 99_500))  # type: ignore[arg-type]  # mirror NaN
    warning = overfitting(run(), points(train), noisy, LOSS)
    assert warning is not None and warning.evidence["last_value"] == 0.95  # re-logged step wins
    assert overfitting(run(), points(train), points(val[:3]), LOSS) is None  # too short
    assert overfitting(run(), [], points(val), LOSS) is None
    with pytest.raises(ValueError):
        overfitting(run(), points(train), points(val), LOSS, patience=0)
    with pytest.raises(ValueError):
        overfitting(run(), points(train), points(val), LOSS, min_delta=-0.1)


def test_checks_since_best_examples() -> None:
    assert checks_since_best([3, 2, 1, 2, 3], maximize=False) == (2, 2)
    assert checks_since_best([3, 2, 1, 2, 3], maximize=True) == (0, 4)  # a tie is no gain
    assert checks_since_best([1.0, 0.95, 0.94, 0.93], maximize=False, min_delta=0.02) == (1, 2)
    assert checks_since_best([2, 1, 1, 1], maximize=False) == (1, 2)  # ties do not improve
    assert checks_since_best([math.nan, 2, 1, math.nan], maximize=False) == (2, 1)
    with pytest.raises(ValueError):
        checks_since_best([math.nan], maximize=True)
    with pytest.raises(ValueError):
        checks_since_best([], maximize=True)


FINITE = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(FINITE, min_size=1, max_size=40), st.booleans())
def test_checks_since_best_points_at_the_first_optimum(values, maximize) -> None:
    best_index, since = checks_since_best(values, maximize)
    optimum = max(values) if maximize else min(values)
    assert values[best_index] == optimum
    assert optimum not in values[:best_index]
    assert since == len(values) - 1 - best_index


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(FINITE, min_size=1, max_size=40), st.booleans(), st.floats(0, 100))
def test_nothing_after_the_best_improves_by_more_than_min_delta(values, maximize, delta) -> None:
    best_index, since = checks_since_best(values, maximize, delta)
    best = values[best_index]
    later = values[best_index + 1 :]
    assert all((v <= best + delta) if maximize else (v >= best - delta) for v in later)
    assert since == len(later)


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(st.floats(1e-3, 10), min_size=2, max_size=40),
    st.lists(FINITE, min_size=1, max_size=40),
    st.booleans(),
    st.integers(1, 5),
)
def test_improving_validation_never_signals_overfitting(steps, train, maximize, patience) -> None:
    climb = list(accumulate(steps))
    val = climb if maximize else [-v for v in climb]  # strictly better at every check
    pair = ACCURACY if maximize else LOSS
    assert overfitting(run(), points(train), points(val), pair, patience=patience) is None


# --- run health ---------------------------------------------------------------------------------


def test_failed_and_killed_runs_are_flagged() -> None:
    (failed,) = run_health(run(status="FAILED", end=T0 + 12 * MINUTE), T0 + HOUR, None)
    assert (failed.kind, failed.message) == ("failed", "run 'lgbm-deep' failed after 12 min")
    assert failed.evidence["duration_ms"] == 12 * MINUTE
    (killed,) = run_health(run(name="", status="KILLED", end=None), T0 + HOUR, None)
    assert (killed.kind, killed.message) == ("killed", "run 'r1' was killed")  # id without name
    assert run_health(run(), T0 + HOUR, HOUR) == []
    assert run_health(run(status="SCHEDULED", start=None, end=None), T0 + HOUR, HOUR) == []


def test_runs_running_far_longer_than_usual_are_flagged() -> None:
    running = run(status="RUNNING", end=None, experiment="7")
    (late,) = run_health(running, T0 + 3 * HOUR, typical_duration_ms=HOUR)
    assert late.kind == "long_running"
    assert late.message == (
        "run 'lgbm-deep' has been running for 3.0 h, 3.0× the typical 60 min "
        "of finished runs in experiment 7"
    )
    assert late.evidence["elapsed_ms"] == 3 * HOUR and late.evidence["typical_ms"] == HOUR
    assert run_health(running, T0 + 90 * MINUTE, HOUR) == []  # 1.5×: within the factor
    assert run_health(running, T0 + 90 * MINUTE, HOUR, factor=1.2) != []
    assert run_health(running, T0 + 30 * HOUR, None) == []  # nothing typical to compare with


def test_typical_durations_are_medians_of_finished_runs() -> None:
    runs = [
        *(run(f"a{i}", end=T0 + m * MINUTE, experiment="A") for i, m in enumerate([10, 60, 20])),
        run("a-failed", status="FAILED", end=T0 + 500 * MINUTE, experiment="A"),
        run("a-running", status="RUNNING", end=None, experiment="A"),
        *(
            run(f"b{i}", end=T0 + m * MINUTE, experiment="B")
            for i, m in enumerate([10, 40, 20, 30])
        ),
        run("c0", experiment="C"),
        run("c1", experiment="C"),
        run("c2", start=None, experiment="C"),
    ]
    assert typical_durations(runs) == {"A": 20 * MINUTE, "B": 25 * MINUTE, "C": None}


# --- target progress ----------------------------------------------------------------------------

F1 = parse_target("val_f1 >= 0.82")
RMSE = parse_target("val_rmse <= 0.3")


def test_best_run_follows_the_target_direction() -> None:
    runs = [
        run("a", start=T0, val_f1=0.71, val_rmse=0.40),
        run("b", start=T0 + HOUR, val_f1=0.84, val_rmse=0.35),
        run("c", start=T0 + 2 * HOUR, val_f1=0.79, val_rmse=0.28),
        run("d", start=T0 + 3 * HOUR),  # never logged the metrics
    ]
    best, value = best_run(runs, F1)
    assert (best.run_id, value, target_met(value, F1)) == ("b", 0.84, True)
    best, value = best_run(runs, RMSE)
    assert (best.run_id, value, target_met(value, RMSE)) == ("c", 0.28, True)
    assert target_met(0.81, F1) is False
    assert target_met(None, F1) is None
    assert best_run([run("d")], F1) is None


def test_best_run_ties_go_to_the_earliest_start_and_running_runs_wait() -> None:
    runs = [
        run("late", start=T0 + HOUR, val_f1=0.8),
        run("early", start=T0, val_f1=0.8),
        run("live", status="RUNNING", start=T0 + 2 * HOUR, end=None, val_f1=0.9),
        run("broken", status="FAILED", val_f1=0.95),
        run("nan", val_f1=math.nan),
    ]
    assert best_run(runs, F1)[0].run_id == "early"
    assert best_run(runs, F1, include_running=True)[0].run_id == "live"


def test_trend_orders_runs_by_start_with_the_running_best() -> None:
    runs = [
        run("c", start=T0 + 2 * HOUR, val_f1=0.79),
        run("a", start=T0, val_f1=0.71),
        run("b", start=T0 + HOUR, val_f1=0.84),
        run("d", start=T0 + 3 * HOUR, val_f1=0.86),
        run("x", start=None, val_f1=0.99),  # cannot be placed in time
    ]
    assert trend(runs, F1) == [
        ("a", T0, 0.71, 0.71),
        ("b", T0 + HOUR, 0.84, 0.84),
        ("c", T0 + 2 * HOUR, 0.79, 0.84),
        ("d", T0 + 3 * HOUR, 0.86, 0.86),
    ]
    assert [p.best_so_far for p in trend(runs, parse_target("val_f1 < 0.5"))] == [0.71] * 4


RUNS = st.lists(
    st.tuples(
        st.sampled_from(["FINISHED", "FINISHED", "RUNNING", "FAILED", "KILLED"]),
        st.integers(0, 10_000),
        st.one_of(st.none(), st.floats(-100, 100, allow_nan=False)),
    ),
    max_size=12,
).map(
    lambda rows: [
        run(f"r{i}", status=status, start=T0 + start, **({} if v is None else {"m": v}))
        for i, (status, start, v) in enumerate(rows)
    ]
)


@settings(max_examples=examples(100), deadline=None)
@given(RUNS, st.sampled_from([">=", ">", "<=", "<"]), st.booleans())
def test_best_run_and_trend_agree_on_the_best_value(runs, op, include_running) -> None:
    target = parse_target(f"m {op} 0")
    counted = {"FINISHED", "RUNNING"} if include_running else {"FINISHED"}
    values = [r.metrics["m"] for r in runs if r.status in counted and "m" in r.metrics]
    found = best_run(runs, target, include_running=include_running)
    chart = trend(runs, target, include_running=include_running)
    if not values:
        assert found is None and chart == []
        return
    assert found is not None
    assert found[1] == (max(values) if target.maximize else min(values))
    assert chart[-1].best_so_far == found[1]
    bests = [p.best_so_far for p in chart]
    assert all((b <= a) if not target.maximize else (a <= b) for a, b in pairwise(bests))
    assert [p.start_ms for p in chart] == sorted(p.start_ms for p in chart)
