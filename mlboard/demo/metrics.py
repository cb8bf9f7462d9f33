"""How the demo's models are scored, in numpy: losses, AUC, PR-AUC, calibration, ranking.

Plain functions of labels and scores, written out so the demo needs no scikit-learn.
"""

from __future__ import annotations

import numpy as np


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


def ranking_metrics(
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


def softmax_loss(scores: np.ndarray, seen: np.ndarray | None, pairs: np.ndarray) -> float:
    """Mean −log softmax probability of each pair's add-on among the member's candidates (all
    add-ons, or those not `seen` in training)."""
    masked = (scores if seen is None else np.where(seen, -np.inf, scores)).astype(float)
    top = masked.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(masked - top).sum(axis=1)) + top[:, 0]  # one per member
    members, items = pairs[:, 0], pairs[:, 1]
    return float(np.mean(log_norm[members] - masked[members, items]))
