"""Real MLflow runs for the demo: small models trained with numpy, logged against sample stories.

`build_demo_runs` fills a new MLflow tracking store (normally `sqlite:///<demo>/mlflow.db`) with
runs that were trained moments before: the curves, the best run, the met and the unmet target,
the overfitting and the failure are what the models did, not numbers typed in. The datasets are
synthetic but shaped like the team's (a churn table, card payments with ~2% fraud, member ×
add-on picks), generated from a seed, so every build logs the same values.

What it writes (story keys from sample_data/stories.csv; values for the default seed 7):

| experiment       | story | runs                                                                |
|------------------|-------|---------------------------------------------------------------------|
| `churn-v3`       | ML-2  | the Q3 snapshot: `row_count`, `label_rate` (no model)               |
|                  | ML-5  | 4 logistic regressions: three on the v3 features meet               |
|                  |       | `val_auc >= 0.86` (best ≈ 0.886), the v2-feature baseline (≈ 0.80)  |
|                  |       | does not; strong L2 keeps the AUC but ruins calibration (`val_ece`) |
|                  | —     | 1 untagged notebook run, to link by hand                            |
| `fraud-v5`       | ML-3  | logistic baseline and a 256-unit MLP that clearly overfits: its     |
|                  |       | `val_loss` bottoms out at epoch 8, then rises for 32 epochs         |
|                  | ML-17 | 3 runs, all below `val_pr_auc >= 0.62` (best ≈ 0.48)                |
|                  | ML-19 | a class-weight sweep: a parent run and 4 nested children (≈ 0.50)   |
| `recs-two-tower` | ML-28 | popularity baseline (`val_recall_at_50` ≈ 0.34), two two-tower      |
|                  |       | models (≈ 0.40 and 0.63) and one that diverged: FAILED, loss → NaN  |
| `scratch`        | —     | 2 untagged smoke-test runs (they belong to ML-14, unlinked)         |

Registered models: `churn-classifier` (versions 1 and 2 from ML-5's two best runs, in the order
they ran; alias `champion` on the best by `val_auc`) and `fraud-detector` (version 1 from
ML-17's best run, alias `challenger`, as the story asks).

Conventions, as mlboard's sync reads them:
- A run belongs to a story through its tag `mlboard.story = <key>`.
- Nested runs carry MLflow's own `mlflow.parentRunId` tag, as `mlflow.start_run(nested=True)`
  sets it. Only the sweep's parent run carries `mlboard.story`; its children reach the story
  through the parent link, like a sweep whose driver tags just its outer run. The parent logs
  the winning child's `val_pr_auc` and `val_auc` (and param `best_class_weight`), as sweep
  drivers do, so the parent alone says how far the story is from its target.
- Every run has `mlflow.user` (a member handle from team.toml), `mlflow.runName`,
  `mlflow.source.name`/`.type`, and params (`model_type`, `learning_rate`, `l2`, `epochs`,
  `hidden_units`, `class_weight`, ... as the model has them).
- Per-epoch metrics have `step` = epoch, counted from 1: `train_loss`, `val_loss`, `val_auc`,
  `val_pr_auc` for classifiers, `train_loss`, `val_loss`, `val_recall_at_50`, `val_ndcg_at_10`
  for retrieval. The loss is the objective being minimised: the log loss, weighted by
  `class_weight` when a run sets one. `train_auc`, `val_accuracy` and `val_ece` are logged once,
  at the last epoch's step. A FAILED run has its metrics up to the epoch before the failure and
  the error in `mlflow.note.content`.

Times: each run starts at a moment written below in the sample's own calendar (`started`),
inside the window in which history.csv has its story in progress, moved by the same whole
number of weeks as the sample loader moves the board (`sample_team.week_shift(as_of, today)`),
so runs and board agree when both are built for the same `today`. A run lasts `epochs ×
epoch_seconds`, a plausible duration for the real job rather than the milliseconds numpy needs.
MLflow stamps registry versions with the build time; its public API cannot backdate them.

Artifacts go where the caller says: experiment `<name>` stores them under
`<artifact_location>/<name>` (saved as an absolute `file://` URI). Each finished run that
trained a model logs `model/weights.json`; registered versions point at its `model` folder.
The paths are absolute, so the demo folder must not be moved after the build (renaming just the
database file is fine). MLflow's own "Default" experiment (id 0) still gets MLflow's default
location, `./mlruns/0` resolved against the working directory of the build; nothing is written
there.

numpy is imported at module level, so import this module lazily (only `mlboard demo` needs it);
MLflow is imported inside `build_demo_runs`.
"""

from __future__ import annotations

import contextlib
import math
import tomllib
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

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

    def last(self, metric: str) -> float:
        """The metric's value at the end of training."""
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


def log_loss(
    y: np.ndarray, p: np.ndarray, positive_weight: float = 1.0, eps: float = 1e-7
) -> float:
    """Mean binary cross-entropy, probabilities clipped to [eps, 1 − eps]; with
    `positive_weight` ≠ 1, the weighted mean with positives counting that many times."""
    p = np.clip(p, eps, 1.0 - eps)
    losses = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    weights = np.where(y > 0.5, positive_weight, 1.0)
    return float(np.sum(weights * losses) / np.sum(weights))


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


def _epoch_metrics(
    data: Dataset, p_train: np.ndarray, p_val: np.ndarray, positive_weight: float = 1.0
) -> dict[str, float]:
    """What is logged after every epoch: the loss being minimised on both splits, and the
    validation AUC and PR-AUC."""
    return {
        "train_loss": log_loss(data.y_train, p_train, positive_weight),
        "val_loss": log_loss(data.y_val, p_val, positive_weight),
        "val_auc": roc_auc(data.y_val, p_val),
        "val_pr_auc": average_precision(data.y_val, p_val),
    }


def _end_metrics(data: Dataset, p_train: np.ndarray, p_val: np.ndarray) -> dict[str, float]:
    """What is logged once, after the last epoch."""
    return {
        "train_auc": roc_auc(data.y_train, p_train),
        "val_accuracy": accuracy(data.y_val, p_val),
        "val_ece": expected_calibration_error(data.y_val, p_val),
    }


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
    merchants: int = 0,
) -> Dataset:
    """Card-not-present payments with about `fraud_rate` fraud, labels as the bank sees them.

    Fraud is more likely for large amounts, at night, on new cards, in bursts, with a country
    mismatch, a new device, in risky merchant categories and device types; a hidden per-payment
    term keeps it hard. A share `missed_labels` of the fraud never got its chargeback and is
    labelled legitimate (the late-label problem of ML-1). v4 features lack the device columns.
    `merchants` > 0 adds that many sparse one-hot merchant ids, Zipf-distributed; about 5% of
    those merchants are compromised and 30% of their payments are labelled fraud on top.
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
        1.76 * (log_amount - 3.6)
        + 2.24 * night
        - 1.44 * (log_card_age - 5.0)
        + 0.96 * (txns_24h - 1.5)
        + 3.2 * country_mismatch
        + 3.52 * new_device
        + 3.2 * MERCHANT_RISK[mcc]
        + 3.2 * DEVICE_RISK[device]
        + rng.normal(0.0, 0.96, n)
    )
    # the intercept that makes the expected fraud rate `fraud_rate`, found by bisection
    low, high = -20.0, 5.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if sigmoid(score + middle).mean() < fraud_rate else (low, middle)
    fraud = rng.random(n) < sigmoid(score + low)
    labelled = (fraud & (rng.random(n) >= missed_labels)).astype(float)
    merchant_columns: dict[str, np.ndarray] = {}
    if merchants:  # sparse merchant ids: a few bad merchants among many harmless ones
        merchant = rng.zipf(1.3, n) % merchants
        bad = rng.random(merchants) < 0.05
        labelled = np.where(bad[merchant] & (rng.random(n) < 0.3), 1.0, labelled)
        merchant_columns = _one_hot("merchant", merchant, [f"{i:03d}" for i in range(merchants)])
    columns = {
        "log_amount": log_amount,
        "night": night,
        "log_card_age_days": log_card_age,
        "txns_24h": txns_24h,
        "country_mismatch": country_mismatch,
        "new_device": new_device,
        **_one_hot("mcc", mcc, MERCHANT_CATEGORIES),
        **_one_hot("device", device, DEVICE_TYPES),
        **merchant_columns,
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
    items: int = 600,
    per_member: int = 10,
    held_out: int = 2,
    taste_dims: int = 6,
    taste: float = 3.0,
    popularity_skew: float = 0.25,
) -> Interactions:
    """Each member picks `per_member` distinct add-ons by taste (a hidden low-rank affinity) and
    popularity (Zipf-like); `held_out` picks per member, chosen at random, form validation."""
    taste_m = rng.normal(0.0, 1.0, (members, taste_dims))
    taste_i = rng.normal(0.0, 1.0, (items, taste_dims))
    popularity = -popularity_skew * np.log(np.arange(1, items + 1))[rng.permutation(items)]
    utility = taste_m @ taste_i.T / math.sqrt(taste_dims) * taste + popularity
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
    """Adam (Kingma & Ba) with the usual defaults; state in the dtype of the parameters."""

    def __init__(self, params: dict[str, np.ndarray], learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        for key, grad in grads.items():
            self.m[key] = b1 * self.m[key] + (1 - b1) * grad
            self.v[key] = b2 * self.v[key] + (1 - b2) * grad**2
            m_hat = self.m[key] / (1 - b1**self.t)
            v_hat = self.v[key] / (1 - b2**self.t)
            params[key] -= (self.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(
                params[key].dtype, copy=False
            )


def _cosine(epoch: int, epochs: int) -> float:
    """Half-cosine decay factor: 1 in the first epoch, 0.1 in the last."""
    return 0.55 + 0.45 * math.cos(math.pi * (epoch - 1) / max(epochs - 1, 1))


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


def train_logistic(
    data: Dataset,
    rng: np.random.Generator,
    *,
    learning_rate: float,
    l2: float,
    epochs: int,
    batch_size: int | None = None,
    momentum: float = 0.0,
    class_weight: float = 1.0,
) -> Training:
    """Logistic regression by gradient descent on the log loss with an L2 penalty.

    Full-batch by default (smooth curves; `batch_size` for mini-batches), with optional
    heavy-ball `momentum`. `class_weight` multiplies the loss of positive examples (1 =
    unweighted); the logged losses are then that weighted loss, the objective being minimised.
    """
    n, d = data.x_train.shape
    batch_size = batch_size or n
    w, velocity_w, velocity_b = np.zeros(d), np.zeros(d), 0.0
    base = float(np.clip(data.y_train.mean(), 1e-3, 1 - 1e-3))
    b = math.log(base / (1 - base))
    sample_weight = np.where(data.y_train > 0.5, class_weight, 1.0)
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            x, y, sw = data.x_train[rows], data.y_train[rows], sample_weight[rows]
            error = (sigmoid(x @ w + b) - y) * sw / sw.sum()
            velocity_w = momentum * velocity_w - learning_rate * (x.T @ error + l2 * w)
            velocity_b = momentum * velocity_b - learning_rate * error.sum()
            w, b = w + velocity_w, b + velocity_b
        p_train = sigmoid(data.x_train @ w + b)
        p_val = sigmoid(data.x_val @ w + b)
        metrics = _epoch_metrics(data, p_train, p_val, class_weight)
        _check_finite(metrics["train_loss"], epoch, history, learning_rate)
        _record(history, metrics)
    p_train, p_val = sigmoid(data.x_train @ w + b), sigmoid(data.x_val @ w + b)
    weights = {
        "model": "logistic_regression",
        "features": list(data.features),
        "coef": np.round(w, 6).tolist(),
        "intercept": round(b, 6),
    }
    return Training(history, _end_metrics(data, p_train, p_val), weights)


def train_mlp(
    data: Dataset,
    rng: np.random.Generator,
    *,
    hidden_units: int,
    learning_rate: float,
    l2: float,
    epochs: int,
    batch_size: int = 64,
) -> Training:
    """A one-hidden-layer perceptron (ReLU, sigmoid output) trained with Adam on the log loss,
    with an L2 penalty `l2` on the weights (0 = none)."""
    n, d = data.x_train.shape
    params = {
        "w1": rng.normal(0.0, math.sqrt(2.0 / d), (d, hidden_units)),
        "b1": np.zeros(hidden_units),
        "w2": rng.normal(0.0, math.sqrt(1.0 / hidden_units), hidden_units),
        "b2": np.zeros(1),
    }
    adam = _Adam(params, learning_rate)

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hidden = np.maximum(x @ params["w1"] + params["b1"], 0.0)
        return hidden, sigmoid(hidden @ params["w2"] + params["b2"][0])

    history: dict[str, list[float]] = {}
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
            adam.step(params, grads)
        p_train, p_val = forward(data.x_train)[1], forward(data.x_val)[1]
        metrics = _epoch_metrics(data, p_train, p_val)
        _check_finite(metrics["train_loss"], epoch, history, learning_rate)
        _record(history, metrics)
    p_train, p_val = forward(data.x_train)[1], forward(data.x_val)[1]
    weights = {
        "model": "mlp",
        "features": list(data.features),
        **{k: np.round(v, 4).tolist() for k, v in params.items()},
    }
    return Training(history, _end_metrics(data, p_train, p_val), weights)


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
    """Mean −log softmax probability of each pair's add-on among the member's candidates (all
    add-ons, or those not `seen` in training)."""
    masked = (scores if seen is None else np.where(seen, -np.inf, scores)).astype(float)
    top = masked.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(masked - top).sum(axis=1)) + top[:, 0]  # one per member
    members, items = pairs[:, 0], pairs[:, 1]
    return float(np.mean(log_norm[members] - masked[members, items]))


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
    optimizer: str = "adam",
    warmup_epochs: int = 0,
    cosine_decay: bool = False,
) -> Training:
    """Member and add-on towers (ID embeddings + an add-on bias) scored by dot product and
    trained with a full softmax over the catalogue, on mini-batches of (member, add-on) pairs.

    It computes in float32, as on a GPU. `optimizer` is `adam` or `sgd`; plain SGD at too high
    a learning rate makes the embeddings grow without bound until the scores overflow and the
    loss is NaN, and `TrainingDiverged` is raised with the epochs before it. Validation ranks
    each member's add-ons not picked in training; its loss is the softmax loss over those.
    """
    f32 = np.float32
    params = {
        "member": rng.normal(0.0, 0.1, (data.members, embedding_dim)).astype(f32),
        "item": rng.normal(0.0, 0.1, (data.items, embedding_dim)).astype(f32),
        "item_bias": np.zeros(data.items, f32),
    }
    adam = _Adam(params, learning_rate)
    seen = _seen(data)
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        rate = learning_rate * min(1.0, epoch / warmup_epochs) if warmup_epochs else learning_rate
        if cosine_decay:
            rate *= _cosine(epoch, epochs)
        adam.learning_rate = rate
        order = rng.permutation(len(data.train))
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked, not warned
            for start in range(0, len(order), batch_size):
                batch = data.train[order[start : start + batch_size]]
                members, items = batch[:, 0], batch[:, 1]
                member_vectors = params["member"][members]
                rows = member_vectors @ params["item"].T + params["item_bias"]
                probs = np.exp(rows - rows.max(axis=1, keepdims=True))
                probs /= probs.sum(axis=1, keepdims=True)
                probs[np.arange(len(items)), items] -= 1.0
                probs /= f32(len(items))
                member_grad = np.zeros_like(params["member"])
                np.add.at(member_grad, members, probs @ params["item"])
                grads = {
                    "member": member_grad + f32(l2) * params["member"],
                    "item": probs.T @ member_vectors + f32(l2) * params["item"],
                    "item_bias": probs.sum(axis=0),
                }
                if optimizer == "adam":
                    adam.step(params, grads)
                else:
                    for key, grad in grads.items():
                        params[key] -= f32(rate) * grad
            scores = params["member"] @ params["item"].T + params["item_bias"]
            train_loss = _softmax_loss(scores, None, data.train)
        _check_finite(train_loss, epoch, history, learning_rate)
        _record(
            history,
            {
                "train_loss": train_loss,
                "val_loss": _softmax_loss(scores, seen, data.val),
                **_ranking_metrics(scores, seen, data.val, 50, 10),
            },
        )
    weights = {
        "model": "two_tower",
        "item_embeddings": np.round(params["item"].astype(float), 4).tolist(),
        "item_bias": np.round(params["item_bias"].astype(float), 4).tolist(),
    }
    return Training(history, {}, weights)


# --- The demo store ------------------------------------------------------------------------------

EXPERIMENTS = {
    "churn-v3": "Churn v3: 30-day cancellation risk for members, exported nightly to the CRM.",
    "fraud-v5": "Fraud v5: card-not-present payment scoring for the gateway.",
    "recs-two-tower": "Two-tower retrieval of add-on candidates for the recommendation ranker.",
    "scratch": "Notebook and smoke-test runs; nothing here is linked to a story by default.",
}
MAX_METRICS_PER_BATCH = 1000  # MLflow's limit for one log_batch call (params: 100, tags: 100)


@dataclass(frozen=True)
class _Job:
    """A training to run and the params that describe it."""

    train: Callable[[], Training]
    params: dict[str, object]


def _logistic(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "logistic_regression", "optimizer": "gd", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_logistic(data, rng, **settings), params)


def _mlp(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "mlp", "optimizer": "adam", "activation": "relu", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_mlp(data, rng, **settings), params)


def _two_tower(data: Interactions, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "two_tower", "optimizer": "adam", **settings}
    params |= {"members": data.members, "items": data.items, "train_pairs": len(data.train)}
    return _Job(lambda: train_two_tower(data, rng, **settings), params)


@dataclass
class _Logged:
    run_id: str
    name: str
    status: str
    start_ms: int
    artifact_uri: str
    training: Training | None

    def last(self, metric: str) -> float:
        """The metric's final value; -inf for a run that did not finish training."""
        return self.training.last(metric) if self.training else -math.inf


class _DemoWriter:
    """Creates runs through MLflow's public client, one `log_batch` per thousand values."""

    def __init__(self, client: Any, entities: tuple[Any, Any, Any], shift: timedelta) -> None:
        self.client = client
        self.metric, self.param, self.tag = entities
        self.shift = shift
        self.experiments: dict[str, str] = {}
        self.runs = 0
        self.models: list[str] = []

    def create_experiments(self, root: str) -> None:
        for name, note in EXPERIMENTS.items():
            if self.client.get_experiment_by_name(name) is not None:
                raise ValueError(
                    f"{self.client.tracking_uri} already has an experiment {name!r}: "
                    "demo runs are built once, into a new tracking store"
                )
            self.experiments[name] = self.client.create_experiment(
                name, artifact_location=f"{root}/{name}", tags={NOTE_TAG: note}
            )

    def at(self, when: str) -> int:
        """A time in the sample's calendar (ISO, UTC) as epoch ms, moved like the board."""
        moment = datetime.fromisoformat(when.replace("Z", "+00:00")) + self.shift
        return int(moment.timestamp() * 1000)

    def start(
        self,
        experiment: str,
        name: str,
        *,
        user: str,
        started: str,
        source: str,
        story: str | None = None,
        parent: _Logged | None = None,
    ) -> _Logged:
        tags = {
            "mlflow.user": user,
            "mlflow.source.name": source,
            "mlflow.source.type": "NOTEBOOK" if source.endswith(".ipynb") else "LOCAL",
        }
        if story:
            tags[STORY_TAG] = story
        if parent:
            tags[PARENT_TAG] = parent.run_id
        start_ms = self.at(started)
        run = self.client.create_run(
            self.experiments[experiment], start_time=start_ms, tags=tags, run_name=name
        )
        self.runs += 1
        return _Logged(run.info.run_id, name, "RUNNING", start_ms, run.info.artifact_uri, None)

    def log(
        self,
        run: _Logged,
        metrics: list[Any],
        params: dict[str, object],
        note: str | None = None,
    ) -> None:
        param_list = [self.param(key, str(value)) for key, value in params.items()]
        tag_list = [self.tag(NOTE_TAG, note)] if note else []
        for start in range(0, max(len(metrics), 1), MAX_METRICS_PER_BATCH):
            chunk = metrics[start : start + MAX_METRICS_PER_BATCH]
            self.client.log_batch(run.run_id, metrics=chunk, params=param_list, tags=tag_list)
            param_list, tag_list = [], []

    def finish(self, run: _Logged, status: str, end_ms: int) -> None:
        self.client.set_terminated(run.run_id, status=status, end_time=end_ms)
        run.status = status

    def run(
        self,
        experiment: str,
        name: str,
        job: _Job,
        *,
        user: str,
        started: str,
        epoch_seconds: float,
        source: str,
        story: str | None = None,
        parent: _Logged | None = None,
    ) -> _Logged:
        """Create a run, train, log what the training produced and terminate the run.

        A `TrainingDiverged` ends the run as FAILED, with the epochs before the failure logged
        and the error as the run's description.
        """
        run = self.start(
            experiment, name, user=user, started=started, source=source, story=story, parent=parent
        )
        note = None
        try:
            run.training = job.train()
            history, status = run.training.history, "FINISHED"
        except TrainingDiverged as error:
            history, status = error.history, "FAILED"
            note = f"Failed: {error}. Metrics are logged up to epoch {error.epoch - 1}."
        epochs = max((len(values) for values in history.values()), default=0)
        epoch_ms = round(epoch_seconds * 1000)
        end_ms = run.start_ms + (epochs + (status == "FAILED")) * epoch_ms + 45_000
        metrics = [
            self.metric(key, float(value), run.start_ms + step * epoch_ms, step)
            for key, values in history.items()
            for step, value in enumerate(values, start=1)
        ]
        if run.training is not None:
            metrics += [
                self.metric(key, float(value), end_ms - 30_000, epochs)
                for key, value in run.training.final.items()
            ]
        self.log(run, metrics, job.params, note)
        if run.training is not None and run.training.weights:
            self.client.log_dict(run.run_id, run.training.weights, "model/weights.json")
        self.finish(run, status, end_ms)
        return run

    def register(
        self, model: str, description: str, versions: Sequence[_Logged], alias: str, best: _Logged
    ) -> None:
        """Register `versions` in order (1, 2, ...) and point `alias` at `best`'s version."""
        self.client.create_registered_model(model, description=description)
        self.models.append(model)
        for logged in versions:
            version = self.client.create_model_version(
                model, f"{logged.artifact_uri}/model", run_id=logged.run_id
            )
            if logged is best:
                self.client.set_registered_model_alias(model, alias, version.version)


def _as_uri(location: str) -> str:
    """A local folder or `file:` URI as an absolute `file://` URI; other schemes unchanged."""
    scheme = urlparse(location).scheme
    if scheme and len(scheme) > 1 and scheme != "file":  # len 1: a Windows drive letter
        return location.rstrip("/")
    path = Path(unquote(urlparse(location).path) if scheme == "file" else location)
    return path.expanduser().resolve().as_uri()


def _sample_as_of(sample_folder: Path | None) -> date:
    if sample_folder is None:
        from mlboard.services.demo import sample_data_folder  # demo may import this module

        try:
            sample_folder = sample_data_folder()
        except FileNotFoundError:
            return SAMPLE_AS_OF
    with (sample_folder / "team.toml").open("rb") as handle:
        return tomllib.load(handle)["team"]["as_of"]


def build_demo_runs(
    tracking_uri: str,
    artifact_location: str,
    *,
    seed: int = 7,
    today: date | None = None,
    sample_folder: Path | None = None,
) -> DemoRuns:
    """Train the demo's models and log them to a new MLflow store at `tracking_uri`.

    `artifact_location` is a folder (or `file://` URI) for the artifacts; each experiment gets
    `<artifact_location>/<experiment>`. `today` (default: today, UTC) places the runs as the
    sample loader places the board for the same day (see the module docstring); `seed` makes
    every dataset and every training reproducible; `sample_folder` is where team.toml is
    (default: the installed sample team). Raises ValueError if the store already holds the
    demo's experiments. Takes a few seconds, a third of it MLflow creating its database.
    """
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from mlboard.services.sample_team import week_shift

    today = today or datetime.now(UTC).date()
    shift = week_shift(_sample_as_of(sample_folder), today)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    writer = _DemoWriter(client, (Metric, Param, RunTag), shift)
    writer.create_experiments(_as_uri(artifact_location))
    with _one_blas_thread():
        _churn_runs(writer, seed)
        _fraud_runs(writer, seed)
        _recs_runs(writer, seed)
        _scratch_runs(writer, seed)
    return DemoRuns(tracking_uri, len(writer.experiments), writer.runs, tuple(writer.models))


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Limit BLAS to one thread while training, when threadpoolctl is installed.

    The matrices here are small: BLAS threads gain nothing, and on a busy two-core machine
    OpenBLAS's spinning threads made the build several times slower. threadpoolctl is not a
    dependency of mlboard; without it this does nothing (OPENBLAS_NUM_THREADS=1 in the
    environment does the same).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _churn_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-2's snapshot, ML-5's four runs (the champion among them), an untagged notebook run."""
    data = make_churn_data(rng_for(seed, "churn-data"))
    snapshot = {"row_count": float(data.rows), "label_rate": round(data.label_rate, 4)}
    writer.run(
        "churn-v3",
        "q3-churn-snapshot",
        _Job(lambda: Training({}, snapshot), {"window": "2026-07..2026-09", "label": "churn_30d"}),
        user="tomasz",
        started="2026-10-07T09:40:00Z",
        epoch_seconds=0,
        source="pipelines/churn_snapshot.py",
        story="ML-2",
    )
    regions = tuple(f for f in data.features if f.startswith("region_"))
    feature_sets = {
        "v2": data.select(CHURN_V2_FEATURES + regions),  # no engagement features, raw tenure
        "v3": data.select(f for f in data.features if f != "tenure_months"),
    }
    ml5 = [
        writer.run(
            "churn-v3",
            name,
            _logistic(
                feature_sets[features],
                rng_for(seed, name),
                learning_rate=lr,
                l2=l2,
                epochs=40,
            ),
            user="ana",
            started=started,
            epoch_seconds=40,
            source="train_churn.py",
            story="ML-5",
        )
        for name, started, features, lr, l2 in (
            ("churn-v2-features-baseline", "2026-10-07T13:20:00Z", "v2", 1.0, 1e-2),
            ("churn-v3-l2-0.3", "2026-10-08T10:05:00Z", "v3", 1.0, 0.3),
            ("churn-v3-l2-0.01", "2026-10-08T14:30:00Z", "v3", 1.0, 1e-2),
            ("churn-v3-l2-0", "2026-10-09T11:15:00Z", "v3", 1.0, 0.0),
        )
    ]
    writer.run(  # Ana forgot the tag: the Experiments screen links it by hand
        "churn-v3",
        "calibration-check",
        _logistic(feature_sets["v3"], rng_for(seed, "calibration"), learning_rate=1.0, l2=1e-2,
                  epochs=30),
        user="ana",
        started="2026-10-12T15:10:00Z",
        epoch_seconds=40,
        source="notebooks/churn_calibration.ipynb",
    )  # fmt: skip
    ranked = sorted(ml5, key=lambda run: run.last("val_auc"), reverse=True)
    writer.register(
        "churn-classifier",
        "Churn v3: probability that a member cancels within 30 days (ML-5).",
        sorted(ranked[:2], key=lambda run: run.start_ms),
        "champion",
        ranked[0],
    )


def _fraud_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-3's spike (the overfitting MLP), ML-17's runs, ML-19's class-weight sweep."""
    # ML-3, Sprint 21: a development sample (legitimate payments subsampled to ~10% fraud) with
    # sparse merchant ids, which a big unregularised network memorises.
    dev = make_fraud_data(rng_for(seed, "fraud-dev"), n=2000, fraud_rate=0.1, merchants=150)
    for name, started, job in (
        ("sparse-logreg-baseline", "2026-10-06T10:30:00Z",
         _logistic(dev, rng_for(seed, "sparse-logreg"), learning_rate=1.0, l2=1e-2, epochs=40)),
        ("sparse-mlp-256", "2026-10-07T14:00:00Z",
         _mlp(dev, rng_for(seed, "sparse-mlp"), hidden_units=256, learning_rate=1e-3, l2=0.0,
              epochs=40, batch_size=64)),
    ):  # fmt: skip
        job.params["dataset"] = "dev-sample-10pct"
        writer.run(
            "fraud-v5",
            name,
            job,
            user="zoe",
            started=started,
            epoch_seconds=30,
            source="spikes/sparse_features.py",
            story="ML-3",
        )

    # ML-17 and ML-19, Sprint 22: twelve months of payments, ~1.7% labelled fraud, one split.
    data = make_fraud_data(rng_for(seed, "fraud-data"))
    v4 = data.select(FRAUD_V4_FEATURES)  # v4 had no device features
    ml17 = [
        writer.run(
            "fraud-v5",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=epoch_seconds,
            source="train_fraud.py",
            story="ML-17",
        )
        for name, started, epoch_seconds, job in (
            ("fraud-v5-logreg-v4-features", "2026-10-19T15:30:00Z", 90,
             _logistic(v4, rng_for(seed, "v4"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-logreg", "2026-10-21T10:10:00Z", 110,
             _logistic(data, rng_for(seed, "v5"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-mlp-32", "2026-10-23T09:45:00Z", 240,
             _mlp(data, rng_for(seed, "v5-mlp"), hidden_units=32, learning_rate=2e-3, l2=1e-3,
                  epochs=25, batch_size=256)),
        )
    ]  # fmt: skip
    best = max(ml17, key=lambda run: run.last("val_pr_auc"))
    writer.register(
        "fraud-detector",
        "Fraud v5: probability that a card-not-present payment is fraud (ML-17).",
        [best],
        "challenger",
        best,
    )

    sweep = writer.start(
        "fraud-v5",
        "class-weight-sweep",
        user="zoe",
        started="2026-10-20T10:00:00Z",
        source="sweeps/class_weights.py",
        story="ML-19",
    )
    weights = (1, 5, 20, 50)
    children = [
        writer.run(
            "fraud-v5",
            f"class-weight-{weight}",
            _logistic(data, rng_for(seed, f"class-weight-{weight}"), learning_rate=0.5, l2=1e-4,
                      epochs=30, class_weight=weight),
            user="zoe",
            started=f"2026-10-20T{10 + index}:{2 + 7 * index:02d}:00Z",
            epoch_seconds=80,
            source="sweeps/class_weights.py",
            parent=sweep,
        )
        for index, weight in enumerate(weights)
    ]  # fmt: skip
    winner_index = max(range(len(children)), key=lambda i: children[i].last("val_pr_auc"))
    winner = children[winner_index]
    end_ms = writer.at("2026-10-20T14:10:00Z")
    writer.log(
        sweep,
        [writer.metric(key, winner.last(key), end_ms, 0) for key in ("val_pr_auc", "val_auc")],
        {
            "model_type": "logistic_regression",
            "class_weights": ",".join(map(str, weights)),
            "best_class_weight": weights[winner_index],
        },
    )
    writer.finish(sweep, "FINISHED", end_ms)


def _recs_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-28: the popularity bar, two two-tower models and one that diverged (FAILED)."""
    data = make_interactions(rng_for(seed, "interactions"))
    popularity = _Job(
        lambda: popularity_baseline(data),
        {"model_type": "popularity", "members": data.members, "items": data.items},
    )
    for name, started, job in (
        ("popularity-baseline", "2026-11-05T11:00:00Z", popularity),
        ("two-tower-d16-l2-1.5e-3", "2026-11-06T13:40:00Z",
         _two_tower(data, rng_for(seed, "d16-a"), embedding_dim=16, learning_rate=0.05,
                    l2=1.5e-3, epochs=20, cosine_decay=True)),
        ("two-tower-sgd-warmup", "2026-11-10T10:20:00Z",
         _two_tower(data, rng_for(seed, "sgd"), embedding_dim=32, learning_rate=400.0, l2=0.0,
                    epochs=20, optimizer="sgd", warmup_epochs=5)),
        ("two-tower-d16-l2-1e-3", "2026-11-12T14:15:00Z",
         _two_tower(data, rng_for(seed, "d16-b"), embedding_dim=16, learning_rate=0.05, l2=1e-3,
                    epochs=20, cosine_decay=True)),
    ):  # fmt: skip
        writer.run(
            "recs-two-tower",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=420,
            source="train_two_tower.py",
            story="ML-28",
        )


def _scratch_runs(writer: _DemoWriter, seed: int) -> None:
    """Kwame's smoke trainings after the CUDA 12.4 image rebuild (ML-14), never tagged."""
    for name, started, data in (
        ("smoke-churn-cuda12.4", "2026-10-06T09:20:00Z",
         make_churn_data(rng_for(seed, "churn-smoke"), n=2000)),
        ("smoke-fraud-cuda12.4", "2026-10-06T09:50:00Z",
         make_fraud_data(rng_for(seed, "fraud-smoke"), n=4000)),
    ):  # fmt: skip
        job = _logistic(data, rng_for(seed, name), learning_rate=1.0, l2=1e-3, epochs=5)
        job.params["image"] = "training:cuda12.4"
        writer.run(
            "scratch",
            name,
            job,
            user="kwame",
            started=started,
            epoch_seconds=15,
            source="smoke_test.py",
        )
