"""Real MLflow runs for the demo: small models trained with numpy, logged against sample stories.

`build_demo_runs` fills a fresh MLflow tracking store (normally `sqlite:///<demo>/mlflow.db`)
with runs that were actually trained here, seconds before: the curves, the best run, the met and
the unmet target and the overfitting case are what the models did, not numbers typed in. The
datasets are synthetic (a churn table, an imbalanced fraud table, member-add-on interactions),
generated from a seed, so every build produces the same values.

What it writes (story keys from sample_data/stories.csv):

| experiment       | story  | runs                                                                |
|------------------|--------|---------------------------------------------------------------------|
| `churn-v3`       | ML-2   | the training snapshot: row count and label rate (no model)          |
|                  | ML-5   | 4 logistic regressions; the best meets `val_auc >= 0.86`, the v2    |
|                  |        | feature-set baseline does not                                       |
|                  | —      | 1 untagged notebook run, to link by hand                            |
| `fraud-v5`       | ML-3   | logistic baseline and a 256-unit MLP that clearly overfits          |
|                  | ML-17  | 3 finished runs below `val_pr_auc >= 0.62`, 1 FAILED (loss → NaN)   |
|                  | ML-19  | a class-weight sweep: parent run + 4 nested child runs              |
| `recs-two-tower` | ML-28  | popularity baseline and 2 two-tower (embedding) retrieval models    |
| `scratch`        | —      | 2 untagged smoke-test runs (they belong to ML-14, unlinked)         |

Registered models: `churn-classifier` (versions from ML-5's two best runs, alias `champion` on
the best by `val_auc`) and `fraud-detector` (version 1 from ML-17's best run, alias
`challenger`, as the story asks).

Conventions, as mlboard's sync reads them:
- A run belongs to a story through its tag `mlboard.story = <key>`.
- Nested runs carry MLflow's own `mlflow.parentRunId` tag, as `mlflow.start_run(nested=True)`
  sets it. Only the parent of a sweep carries `mlboard.story`; children reach the story through
  their parent, exactly like a sweep driven from training code that tags just its outer run.
  The parent logs the winning child's `val_pr_auc` (and `best_class_weight`), as sweep drivers
  do, so the parent alone already answers "how far is the story from its target".
- `mlflow.user` is a member handle from team.toml; `mlflow.runName`, params (`learning_rate`,
  `l2`, `epochs`, `batch_size`, `hidden_units`, `class_weight`, ...) are set on every run.
- Per-epoch metrics are logged with `step` = epoch, counted from 1 (the value after that many
  passes over the training data): `train_loss`, `val_loss`, `train_auc`, `val_auc`,
  `val_pr_auc`, and for retrieval `val_recall_at_50`, `val_ndcg_at_10`. Losses are the plain
  (unweighted) log loss, also for class-weighted runs, so runs compare. Metrics logged once
  (`val_accuracy`, `val_ece`) carry the last epoch as their step.

Times: each run starts at a time written below in the sample's own calendar (`started`), inside
the window in which its story was in progress according to sample_data/history.csv, and is
moved by the same whole number of weeks as the sample loader moves the board
(`sample_team.week_shift(as_of, today)`), so runs line up with the board built for the same
`today`. A run lasts `epochs × epoch_seconds`: a plausible duration for the real job, not the
milliseconds numpy needs here. Registry versions are stamped by MLflow with the build time.

The artifact location is explicit: each experiment stores artifacts under
`<artifact_location>/<experiment name>` (saved as a `file://` URI). Every finished run that
trained a model logs its weights as `model/weights.json`; registered versions point there. The
paths are absolute, so the demo folder must not be moved after the build.

numpy is imported at module level; import this module lazily (only `mlboard demo` needs it),
MLflow is imported inside `build_demo_runs`.
"""

from __future__ import annotations

import math
import tomllib
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

STORY_TAG = "mlboard.story"
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"  # the description MLflow's UI shows for runs and experiments
SAMPLE_AS_OF = date(2026, 11, 25)  # read from team.toml when it is there

# --- Results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRuns:
    """What `build_demo_runs` created."""

    tracking_uri: str
    experiments: int
    runs: int
    registered_models: tuple[str, ...]


class TrainingDiverged(FloatingPointError):
    """The loss stopped being a finite number; `history` holds the epochs before it."""

    def __init__(self, message: str, epoch: int, history: dict[str, list[float]]) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.history = history


@dataclass
class Training:
    """A finished training: per-epoch metric history, end-of-training metrics and weights."""

    history: dict[str, list[float]]
    final: dict[str, float] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return max((len(values) for values in self.history.values()), default=0)

    def last(self, metric: str) -> float:
        if metric in self.final:
            return self.final[metric]
        return self.history[metric][-1]


# --- Seeds ---------------------------------------------------------------------------------------


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible stream per dataset or run: adding a run changes no other."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode("utf-8"))])


# --- Metrics -------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


def log_loss(y: np.ndarray, p: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy; probabilities are clipped to [eps, 1 − eps]."""
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing the mean of their ranks (like scipy's `rankdata`)."""
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts_group) - 1
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = ((starts + 1 + ends) / 2.0)[group]
    return ranks


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the rank (Mann–Whitney U) formula; ties count one half."""
    positive = np.asarray(y) > 0.5
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both classes")
    ranks = _average_ranks(np.asarray(scores, dtype=float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC as average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct score thresholds."""
    y = np.asarray(y) > 0.5
    if not y.any():
        raise ValueError("average precision needs a positive example")
    order = np.argsort(-np.asarray(scores, dtype=float), kind="mergesort")
    ranked, ordered = y[order], np.asarray(scores, dtype=float)[order]
    true_pos = np.cumsum(ranked)
    false_pos = np.cumsum(~ranked)
    threshold_ends = np.r_[ordered[1:] != ordered[:-1], True]
    true_pos, false_pos = true_pos[threshold_ends], false_pos[threshold_ends]
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def accuracy(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((p >= threshold) == (y > 0.5)))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE over equal-width probability bins: Σ (nᵦ/n)·|mean(p)ᵦ − mean(y)ᵦ|."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.mean() * abs(p[members].mean() - y[members].mean())
    return float(total)


def _binary_metrics(
    prefix: str, y: np.ndarray, p: np.ndarray, *, pr_auc: bool = True
) -> dict[str, float]:
    metrics = {f"{prefix}_loss": log_loss(y, p), f"{prefix}_auc": roc_auc(y, p)}
    if pr_auc:
        metrics[f"{prefix}_pr_auc"] = average_precision(y, p)
    return metrics


# --- Datasets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A train/validation split with standardised numeric features."""

    name: str
    features: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.y_train) + len(self.y_val)

    @property
    def label_rate(self) -> float:
        return float(np.r_[self.y_train, self.y_val].mean())

    def select(self, names: Iterable[str]) -> Dataset:
        """The same rows with only the features `names` (a feature-set variant)."""
        wanted = [self.features.index(n) for n in names]
        return Dataset(
            self.name,
            tuple(self.features[i] for i in wanted),
            self.x_train[:, wanted],
            self.y_train,
            self.x_val[:, wanted],
            self.y_val,
        )


def _split(
    name: str,
    columns: dict[str, np.ndarray],
    y: np.ndarray,
    rng: np.random.Generator,
    val_fraction: float,
    stratify: bool = False,
) -> Dataset:
    features = tuple(columns)
    x = np.column_stack([columns[f].astype(float) for f in features])
    n = len(y)
    if stratify:  # same label rate in both parts: matters with 2% positives
        val = np.zeros(n, dtype=bool)
        for label in (0.0, 1.0):
            rows = rng.permutation(np.flatnonzero(y == label))
            val[rows[: round(len(rows) * val_fraction)]] = True
    else:
        val = np.zeros(n, dtype=bool)
        val[rng.permutation(n)[: round(n * val_fraction)]] = True
    x_train, x_val = x[~val], x[val]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0
    return Dataset(name, features, (x_train - mean) / std, y[~val], (x_val - mean) / std, y[val])


def _one_hot(prefix: str, values: np.ndarray, levels: Sequence[str]) -> dict[str, np.ndarray]:
    return {f"{prefix}_{level}": (values == i).astype(float) for i, level in enumerate(levels)}


CHURN_V2_FEATURES = (
    "tenure_months",
    "monthly_charges",
    "contract_month_to_month",
    "contract_one_year",
    "contract_two_year",
    "autopay",
)
REGIONS = ("north", "south", "east", "west", "central", "coast", "islands", "abroad")


def make_churn_data(rng: np.random.Generator, n: int = 4000) -> Dataset:
    """Members of a paid membership, with a 30-day churn label from a logistic ground truth.

    Churn rises with short tenure (on a log scale), high charges, support tickets and
    month-to-month contracts, falls with logins and autopay; region has no effect at all (noise
    columns for the unregularised model to fit). A member-level random effect, unseen by any
    model, keeps even the true model well below an AUC of 1.
    """
    tenure = np.clip(rng.gamma(1.6, 14.0, n), 1, 72).round()
    charges = (20 + 100 * rng.beta(2.0, 2.5, n)).round(2)
    contract = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    unhappy = rng.normal(0.0, 1.0, n)  # partly visible through tickets and logins
    tickets = rng.poisson(np.exp(-0.9 + 0.6 * unhappy))
    logins = rng.poisson(np.exp(2.2 - 0.35 * unhappy))
    autopay = (rng.random(n) < 0.6).astype(float)
    region = rng.choice(len(REGIONS), n)
    logit = (
        -1.8
        - 1.5 * np.log(tenure / 12)
        + 0.035 * (charges - 65)
        + 0.9 * tickets
        - 0.12 * (logins - 9)
        + 1.6 * (contract == 0)
        - 1.4 * (contract == 2)
        - 0.7 * autopay
        + 0.4 * unhappy
        + rng.normal(0.0, 0.5, n)
    )
    churned = (rng.random(n) < sigmoid(logit)).astype(float)
    columns = {
        "tenure_months": tenure,
        "log_tenure": np.log(tenure),
        "monthly_charges": charges,
        "support_tickets_90d": tickets,
        "logins_30d": logins,
        **_one_hot("contract", contract, ("month_to_month", "one_year", "two_year")),
        "autopay": autopay,
        **_one_hot("region", region, REGIONS),
    }
    return _split("churn-q3-snapshot", columns, churned, rng, val_fraction=0.25)


MERCHANT_CATEGORIES = (
    "grocery", "fuel", "electronics", "gift_cards", "travel", "fashion",
    "gaming", "pharmacy", "restaurants", "crypto", "home", "books",
)  # fmt: skip
MERCHANT_RISK = np.array([-0.6, -0.4, 0.5, 1.1, 0.3, 0.0, 0.6, -0.3, -0.5, 1.2, -0.2, -0.4])
DEVICE_TYPES = ("ios_app", "android_app", "desktop_web", "mobile_web", "unknown")
DEVICE_RISK = np.array([-0.4, -0.2, 0.0, 0.3, 0.9])
FRAUD_V4_FEATURES = (
    "log_amount",
    "night",
    "log_card_age_days",
    "txns_24h",
    "country_mismatch",
    *(f"mcc_{c}" for c in MERCHANT_CATEGORIES),
)


def make_fraud_data(
    rng: np.random.Generator,
    n: int = 10000,
    fraud_rate: float = 0.02,
    missed_labels: float = 0.15,
) -> Dataset:
    """Card-not-present payments with about `fraud_rate` fraud, labels as the bank sees them.

    Fraud is more likely for large amounts, at night, on new cards, in bursts, with a country
    mismatch, a new device, in risky merchant categories and device types; a hidden per-payment
    term keeps it hard. A share `missed_labels` of the fraud never got its chargeback and is
    labelled legitimate (the late-label problem of ML-1). v4 features lack the device columns.
    """
    log_amount = rng.normal(3.6, 1.0, n)
    hour = rng.integers(0, 24, n)
    night = ((hour < 6) | (hour >= 23)).astype(float)
    log_card_age = np.log1p(rng.gamma(1.2, 300.0, n))
    txns_24h = rng.poisson(1.5, n).astype(float)
    country_mismatch = (rng.random(n) < 0.08).astype(float)
    new_device = (rng.random(n) < 0.12).astype(float)
    mcc = rng.choice(len(MERCHANT_CATEGORIES), n)
    device = rng.choice(len(DEVICE_TYPES), n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    score = (
        1.1 * (log_amount - 3.6)
        + 1.4 * night
        - 0.9 * (log_card_age - 5.0)
        + 0.6 * (txns_24h - 1.5)
        + 2.0 * country_mismatch
        + 2.2 * new_device
        + 2 * MERCHANT_RISK[mcc]
        + 2 * DEVICE_RISK[device]
        + rng.normal(0.0, 0.6, n)
    )
    # the intercept that makes the expected fraud rate `fraud_rate`, found by bisection
    low, high = -20.0, 5.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if sigmoid(score + middle).mean() < fraud_rate else (low, middle)
    fraud = rng.random(n) < sigmoid(score + low)
    labelled = (fraud & (rng.random(n) >= missed_labels)).astype(float)
    columns = {
        "log_amount": log_amount,
        "night": night,
        "log_card_age_days": log_card_age,
        "txns_24h": txns_24h,
        "country_mismatch": country_mismatch,
        "new_device": new_device,
        **_one_hot("mcc", mcc, MERCHANT_CATEGORIES),
        **_one_hot("device", device, DEVICE_TYPES),
    }
    return _split("cnp-transactions", columns, labelled, rng, val_fraction=0.3, stratify=True)


@dataclass(frozen=True)
class Interactions:
    """Member × add-on interactions: `train` and `val` are (member, item) index pairs."""

    members: int
    items: int
    train: np.ndarray
    val: np.ndarray


def make_interactions(
    rng: np.random.Generator,
    members: int = 800,
    items: int = 200,
    per_member: int = 12,
    held_out: int = 2,
    taste_dims: int = 6,
) -> Interactions:
    """Each member picks `per_member` distinct add-ons by taste (a hidden low-rank affinity) and
    popularity (Zipf-like); `held_out` picks per member, chosen at random, form validation."""
    taste_m = rng.normal(0.0, 1.0, (members, taste_dims))
    taste_i = rng.normal(0.0, 1.0, (items, taste_dims))
    popularity = -0.8 * np.log(np.arange(1, items + 1))[rng.permutation(items)]
    utility = taste_m @ taste_i.T / math.sqrt(taste_dims) * 1.6 + popularity
    gumbel = -np.log(-np.log(rng.random((members, items))))
    picks = np.argsort(-(utility + gumbel), axis=1)[:, :per_member]  # Gumbel top-k sampling
    is_val = np.zeros((members, per_member), dtype=bool)
    for m in range(members):
        is_val[m, rng.choice(per_member, held_out, replace=False)] = True
    member_ids = np.repeat(np.arange(members), per_member).reshape(members, per_member)
    pairs = np.stack([member_ids, picks], axis=-1)
    return Interactions(members, items, pairs[~is_val], pairs[is_val])


# --- Models --------------------------------------------------------------------------------------


class _Adam:
    def __init__(self, shapes: dict[str, tuple[int, ...]], learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.m = {k: np.zeros(s) for k, s in shapes.items()}
        self.v = {k: np.zeros(s) for k, s in shapes.items()}
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        for key, grad in grads.items():
            self.m[key] = b1 * self.m[key] + (1 - b1) * grad
            self.v[key] = b2 * self.v[key] + (1 - b2) * grad**2
            m_hat = self.m[key] / (1 - b1**self.t)
            v_hat = self.v[key] / (1 - b2**self.t)
            params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)


def _check_finite(loss: float, epoch: int, history: dict[str, list[float]], lr: float) -> None:
    if not math.isfinite(loss):
        raise TrainingDiverged(
            f"training loss became {loss} at epoch {epoch} (learning_rate={lr}): "
            "the weights diverged",
            epoch,
            {k: list(v) for k, v in history.items()},
        )


def _record(history: dict[str, list[float]], metrics: dict[str, float]) -> None:
    for key, value in metrics.items():
        history.setdefault(key, []).append(value)


def _end_metrics(y_val: np.ndarray, p_val: np.ndarray) -> dict[str, float]:
    return {
        "val_accuracy": accuracy(y_val, p_val),
        "val_ece": expected_calibration_error(y_val, p_val),
    }


def train_logistic(
    data: Dataset,
    rng: np.random.Generator,
    *,
    learning_rate: float,
    l2: float,
    epochs: int,
    batch_size: int | None = None,
    momentum: float = 0.9,
    class_weight: float = 1.0,
) -> Training:
    """Logistic regression by mini-batch gradient descent with an L2 penalty.

    `class_weight` multiplies the loss of positive examples (1 = unweighted). After each epoch
    the train and validation loss, AUC and PR-AUC are recorded.
    """
    n, d = data.x_train.shape
    batch_size = batch_size or n
    w, velocity_w, velocity_b = np.zeros(d), np.zeros(d), 0.0
    base = float(np.clip(data.y_train.mean(), 1e-3, 1 - 1e-3))
    b = math.log(base / (1 - base))
    sample_weight = np.where(data.y_train > 0.5, class_weight, 1.0)
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            x, y, sw = data.x_train[rows], data.y_train[rows], sample_weight[rows]
            error = (sigmoid(x @ w + b) - y) * sw / sw.sum()
            velocity_w = momentum * velocity_w - learning_rate * (x.T @ error + l2 * w)
            velocity_b = momentum * velocity_b - learning_rate * error.sum()
            w, b = w + velocity_w, b + velocity_b
        p_train = sigmoid(data.x_train @ w + b)
        p_val = sigmoid(data.x_val @ w + b)
        metrics = _binary_metrics("train", data.y_train, p_train, pr_auc=False)
        _check_finite(metrics["train_loss"], epoch, history, learning_rate)
        _record(history, metrics | _binary_metrics("val", data.y_val, p_val))
    p_val = sigmoid(data.x_val @ w + b)
    weights = {
        "model": "logistic_regression",
        "features": list(data.features),
        "coef": np.round(w, 6).tolist(),
        "intercept": round(b, 6),
    }
    return Training(history, _end_metrics(data.y_val, p_val), weights)


def train_mlp(
    data: Dataset,
    rng: np.random.Generator,
    *,
    hidden_units: int,
    learning_rate: float,
    l2: float,
    epochs: int,
    batch_size: int = 64,
    optimizer: str = "adam",
) -> Training:
    """A one-hidden-layer perceptron (ReLU, sigmoid output) trained on the log loss.

    `optimizer` is `adam` or `sgd` (plain gradient descent, which diverges at a high learning
    rate: the loss turns to NaN and `TrainingDiverged` is raised with the epochs before it).
    """
    n, d = data.x_train.shape
    params = {
        "w1": rng.normal(0.0, math.sqrt(2.0 / d), (d, hidden_units)),
        "b1": np.zeros(hidden_units),
        "w2": rng.normal(0.0, math.sqrt(1.0 / hidden_units), hidden_units),
        "b2": np.zeros(1),
    }
    adam = _Adam({k: v.shape for k, v in params.items()}, learning_rate)

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hidden = np.maximum(x @ params["w1"] + params["b1"], 0.0)
        return hidden, sigmoid(hidden @ params["w2"] + params["b2"][0])

    history: dict[str, list[float]] = {}
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, not warned
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                x, y = data.x_train[rows], data.y_train[rows]
                hidden, p = forward(x)
                dz = (p - y) / len(rows)
                dhidden = np.outer(dz, params["w2"]) * (hidden > 0)
                grads = {
                    "w2": hidden.T @ dz + l2 * params["w2"],
                    "b2": np.array([dz.sum()]),
                    "w1": x.T @ dhidden + l2 * params["w1"],
                    "b1": dhidden.sum(axis=0),
                }
                if optimizer == "adam":
                    adam.step(params, grads)
                else:
                    for key, grad in grads.items():
                        params[key] -= learning_rate * grad
            logits_ok = all(np.isfinite(v).all() for v in params.values())
            p_train, p_val = forward(data.x_train)[1], forward(data.x_val)[1]
            train_loss = log_loss(data.y_train, p_train) if logits_ok else math.nan
            _check_finite(train_loss, epoch, history, learning_rate)
            metrics = _binary_metrics("train", data.y_train, p_train, pr_auc=False)
            _record(history, metrics | _binary_metrics("val", data.y_val, p_val))
    p_val = forward(data.x_val)[1]
    weights = {
        "model": "mlp",
        "features": list(data.features),
        **{k: np.round(v, 5).tolist() for k, v in params.items()},
    }
    return Training(history, _end_metrics(data.y_val, p_val), weights)


def _ranking_metrics(
    scores: np.ndarray, seen: np.ndarray, pairs: np.ndarray, k_recall: int, k_ndcg: int
) -> dict[str, float]:
    """Recall@k and NDCG@k of held-out pairs, ranking each member's unseen items only."""
    masked = np.where(seen, -np.inf, scores)
    members, items = pairs[:, 0], pairs[:, 1]
    target = masked[members, items]
    rank = (masked[members] > target[:, None]).sum(axis=1)  # 0 = top of the list
    return {
        f"val_recall_at_{k_recall}": float(np.mean(rank < k_recall)),
        f"val_ndcg_at_{k_ndcg}": float(np.mean(np.where(rank < k_ndcg, 1 / np.log2(rank + 2), 0))),
    }


def _softmax_loss(scores: np.ndarray, seen: np.ndarray | None, pairs: np.ndarray) -> float:
    masked = scores if seen is None else np.where(seen, -np.inf, scores)
    rows = masked[pairs[:, 0]]
    top = rows.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(rows - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_norm - rows[np.arange(len(pairs)), pairs[:, 1]]))


def popularity_baseline(data: Interactions) -> Training:
    """Recommend the most-picked add-ons in training to everyone: the bar to beat."""
    counts = np.bincount(data.train[:, 1], minlength=data.items).astype(float)
    seen = _seen(data)
    scores = np.broadcast_to(counts, (data.members, data.items))
    return Training({}, _ranking_metrics(scores, seen, data.val, 50, 10), {})


def _seen(data: Interactions) -> np.ndarray:
    seen = np.zeros((data.members, data.items), dtype=bool)
    seen[data.train[:, 0], data.train[:, 1]] = True
    return seen


def train_two_tower(
    data: Interactions,
    rng: np.random.Generator,
    *,
    embedding_dim: int,
    learning_rate: float,
    l2: float,
    epochs: int,
    batch_size: int = 1024,
) -> Training:
    """Member and add-on towers (ID embeddings + an add-on bias), dot-product scores, trained
    with a full softmax over the catalogue (Adam, mini-batches of pairs). Validation ranks each member's
    add-ons not picked in training; its loss is the softmax loss over those."""
    params = {
        "member": rng.normal(0.0, 0.1, (data.members, embedding_dim)),
        "item": rng.normal(0.0, 0.1, (data.items, embedding_dim)),
        "item_bias": np.zeros(data.items),
    }
    adam = _Adam({k: v.shape for k, v in params.items()}, learning_rate)
    seen = _seen(data)
    history: dict[str, list[float]] = {}
    for _epoch in range(1, epochs + 1):
        order = rng.permutation(len(data.train))
        for start in range(0, len(order), batch_size):
            batch = data.train[order[start : start + batch_size]]
            members, items = batch[:, 0], batch[:, 1]
            member_vectors = params["member"][members]
            rows = member_vectors @ params["item"].T + params["item_bias"]
            probs = np.exp(rows - rows.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(items)), items] -= 1.0
            probs /= len(items)
            member_grad = np.zeros_like(params["member"])
            np.add.at(member_grad, members, probs @ params["item"])
            grads = {
                "member": member_grad + l2 * params["member"],
                "item": probs.T @ member_vectors + l2 * params["item"],
                "item_bias": probs.sum(axis=0),
            }
            adam.step(params, grads)
        scores = params["member"] @ params["item"].T + params["item_bias"]
        _record(
            history,
            {
                "train_loss": _softmax_loss(scores, None, data.train),
                "val_loss": _softmax_loss(scores, seen, data.val),
                **_ranking_metrics(scores, seen, data.val, 50, 10),
            },
        )
    return Training(history, {}, {"model": "two_tower", "embedding_dim": embedding_dim})
