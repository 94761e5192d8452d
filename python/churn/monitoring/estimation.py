"""Performance estimated from calibrated probabilities alone, before the labels exist
(confidence-based performance estimation, the idea of NannyML's CBPE).

If the probabilities are calibrated, player i is a quick churner with probability p_i. The
expected confusion counts at every threshold follow, and with them the expected ROC-AUC: the
expected number of correctly ordered (churner, stayer) pairs over the expected number of pairs.
The estimate is only as good as the calibration: a shift that breaks calibration breaks it too,
which is why it is later compared with the realised figures.
"""

from __future__ import annotations

import math

import numpy as np


def expected_roc_auc(probability: np.ndarray) -> float:
    """Expected ROC-AUC of scores equal to calibrated probabilities, over pairs of distinct
    players: sum_{i != j} p_i (1 - p_j) [p_i > p_j] (ties 1/2) / sum_{i != j} p_i (1 - p_j)."""
    p = np.asarray(probability, dtype=float)
    p = p[np.isfinite(p)]
    if len(p) < 2:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    p = p[order]
    negative = 1.0 - p
    # For each distinct score: the expected stayers strictly below it and those tied with it.
    values, starts, counts = np.unique(p, return_index=True, return_counts=True)
    negative_per_value = np.add.reduceat(negative, starts)
    positive_per_value = np.add.reduceat(p, starts)
    below = np.concatenate([[0.0], np.cumsum(negative_per_value)[:-1]])
    # Tied pairs of distinct players count one half; a player is never paired with itself.
    self_pairs = np.add.reduceat(p * negative, starts)
    correct = np.sum(positive_per_value * below) + 0.5 * np.sum(
        positive_per_value * negative_per_value - self_pairs
    )
    pairs = p.sum() * negative.sum() - np.sum(p * negative)
    return float(correct / pairs) if pairs > 0 else float("nan")


def auc_sampling_sd(auc: float, n_positive: float, n_negative: float) -> float:
    """Sampling standard deviation of an AUC measured on `n_positive` churners and
    `n_negative` stayers (Hanley & McNeil 1982); NaN without both classes."""
    if not np.isfinite(auc) or n_positive < 1 or n_negative < 1:
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)
    ) / (n_positive * n_negative)
    return float(np.sqrt(max(variance, 0.0)))


def expected_roc_auc_sd(probability: np.ndarray) -> float:
    """Sampling standard deviation of the AUC around its expectation (Hanley & McNeil with the
    expected counts of churners and stayers): how far a realised AUC may fall by chance alone."""
    p = np.asarray(probability, dtype=float)
    p = p[np.isfinite(p)]
    return auc_sampling_sd(expected_roc_auc(p), p.sum(), (1 - p).sum())


def share_within_by_chance(sd: np.ndarray, tolerance: float) -> float:
    """The share of estimates expected within `tolerance` of the realised AUC if every estimate
    were exact and only the realised AUC's sampling error (normal, sd `sd`) moved it: the best
    any estimator can score at these cohort sizes."""
    sd = np.asarray(sd, dtype=float)
    sd = sd[np.isfinite(sd) & (sd > 0)]
    if not len(sd):
        return float("nan")
    return float(np.mean([math.erf(tolerance / (value * math.sqrt(2))) for value in sd]))


def expected_base_rate(probability: np.ndarray) -> tuple[float, float, float]:
    """(expected quick-churn rate, 95% lower, upper): the mean probability and the binomial
    spread of a sum of independent Bernoulli(p_i) draws."""
    p = np.asarray(probability, dtype=float)
    p = p[np.isfinite(p)]
    if not len(p):
        return float("nan"), float("nan"), float("nan")
    mean = float(p.mean())
    sd = float(np.sqrt(np.sum(p * (1 - p))) / len(p))
    return mean, max(0.0, mean - 1.96 * sd), min(1.0, mean + 1.96 * sd)
