"""The demo's synthetic datasets, drawn from a seeded generator: churn, card fraud and add-on
picks, shaped like the sample team's data."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mlboard.demo.metrics import sigmoid


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
