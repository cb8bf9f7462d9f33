"""The demo's trainers, in numpy: logistic regression, a small MLP, a popularity baseline and
a two-tower retrieval model, each returning its per-epoch history, final metrics and weights."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlboard.demo.metrics import (
    accuracy,
    average_precision,
    expected_calibration_error,
    log_loss,
    ranking_metrics,
    roc_auc,
    sigmoid,
    softmax_loss,
)
from mlboard.demo.training_data import Dataset, Interactions


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


def popularity_baseline(data: Interactions) -> Training:
    """Recommend the most-picked add-ons in training to everyone: the bar to beat."""
    counts = np.bincount(data.train[:, 1], minlength=data.items).astype(float)
    seen = _seen(data)
    scores = np.broadcast_to(counts, (data.members, data.items))
    return Training({}, ranking_metrics(scores, seen, data.val, 50, 10), {})


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
            train_loss = softmax_loss(scores, None, data.train)
        _check_finite(train_loss, epoch, history, learning_rate)
        _record(
            history,
            {
                "train_loss": train_loss,
                "val_loss": softmax_loss(scores, seen, data.val),
                **ranking_metrics(scores, seen, data.val, 50, 10),
            },
        )
    weights = {
        "model": "two_tower",
        "item_embeddings": np.round(params["item"].astype(float), 4).tolist(),
        "item_bias": np.round(params["item_bias"].astype(float), 4).tolist(),
    }
    return Training(history, {}, weights)
