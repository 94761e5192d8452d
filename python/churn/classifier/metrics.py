"""Evaluation metrics of a probabilistic binary classifier, with seeded bootstrap intervals.

ROC-AUC and average precision are computed from weights per distinct score, so one sort serves
every bootstrap resample: all replicates are one (resamples x players) weight matrix (Poisson
bootstrap weights, or multinomial counts), and each metric is a handful of cumulative sums over
its rows. The same seed gives the same resamples for every model scored on the same players, which
makes differences between models paired.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

EPSILON = 1e-6
N_CALIBRATION_BINS = 10
CONFIDENCE = 0.95
# Bootstrap weights evaluated together (resamples x players): about 32 MB per float64 array.
BOOTSTRAP_BLOCK = 1 << 22


def _as_arrays(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=float)
    p = np.asarray(scores, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(
            f"labels and scores must be 1-d of the same length, got {y.shape} and {p.shape}"
        )
    return y, p


@dataclass(frozen=True)
class _Ranking:
    """Players by score descending (stable) and where each run of equal scores starts: one sort
    that every rank metric of a slice shares."""

    order: np.ndarray
    starts: np.ndarray
    is_positive: np.ndarray  # label of each player in `order`

    @classmethod
    def of(cls, y: np.ndarray, p: np.ndarray) -> _Ranking:
        order = np.argsort(-p, kind="mergesort")
        sorted_p = p[order]
        starts = np.flatnonzero(np.r_[True, sorted_p[1:] != sorted_p[:-1]])
        return cls(order, starts, y[order] == 1)


def _ranked_counts(
    y: np.ndarray, p: np.ndarray, weights: np.ndarray, ranking: _Ranking | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative weight per distinct score, scores descending: shape (..., n_groups)."""
    ranking = _Ranking.of(y, p) if ranking is None else ranking
    starts, is_positive = ranking.starts, ranking.is_positive
    w = weights[..., ranking.order]
    if len(starts) == len(p):  # no ties: every player is a group of one
        return np.where(is_positive, w, 0), np.where(is_positive, 0, w)
    positive = np.add.reduceat(np.where(is_positive, w, 0), starts, axis=-1)
    negative = np.add.reduceat(np.where(is_positive, 0, w), starts, axis=-1)
    return positive, negative


def _roc_auc(
    positive: np.ndarray, negative: np.ndarray, negatives_so_far: np.ndarray | None = None
) -> np.ndarray:
    """ROC-AUC from _ranked_counts (ties count one half); NaN if a class is absent.
    `negatives_so_far`, the running sum of `negative`, when the caller has it."""
    if negatives_so_far is None:
        negatives_so_far = np.cumsum(negative, axis=-1)
    # Negatives with a strictly lower score than each group: those in later (lower-score) groups.
    negatives_below = negative.sum(axis=-1, keepdims=True) - negatives_so_far
    concordant = (positive * (negatives_below + 0.5 * negative)).sum(axis=-1)
    total = positive.sum(axis=-1) * negative.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, concordant / np.where(total > 0, total, 1), np.nan)


def _average_precision(
    positive: np.ndarray, negative: np.ndarray, negatives_so_far: np.ndarray | None = None
) -> np.ndarray:
    """Average precision from _ranked_counts (the precision-recall step curve's area)."""
    if negatives_so_far is None:
        negatives_so_far = np.cumsum(negative, axis=-1)
    true_positives = np.cumsum(positive, axis=-1)
    flagged = true_positives + negatives_so_far
    total_positive = positive.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(flagged > 0, true_positives / np.where(flagged > 0, flagged, 1), 0)
        value = (positive * precision).sum(axis=-1) / np.where(
            total_positive > 0, total_positive, 1
        )
    return np.where(total_positive > 0, value, np.nan)


def _counts(labels, scores, weights) -> tuple[np.ndarray, np.ndarray]:
    y, p = _as_arrays(labels, scores)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    return _ranked_counts(y, p, w)


def weighted_roc_auc(labels, scores, weights=None) -> np.ndarray:
    """ROC-AUC (ties count one half); `weights` may be 2-d (one row per resample). NaN if a
    class is absent."""
    return _roc_auc(*_counts(labels, scores, weights))


def weighted_average_precision(labels, scores, weights=None) -> np.ndarray:
    """Average precision (area under the precision-recall step curve, as scikit-learn's)."""
    return _average_precision(*_counts(labels, scores, weights))


def stable_seed(seed: int, *parts: object) -> int:
    """A seed derived from `seed` and a slice's name, the same in every process (unlike hash())."""
    return (seed * 1_000_003 + zlib.crc32("|".join(map(str, parts)).encode())) % (2**32)


def bootstrap_weights(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Bootstrap resample counts, shape (n_resamples, n): row b says how often each player is
    drawn in resample b."""
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = rng.integers(0, max(n, 1), size=(n_resamples, n)) + np.arange(n_resamples)[:, None] * n
    counts = np.bincount(draws.ravel(), minlength=n_resamples * n).reshape(n_resamples, n)
    # float32 holds the small counts exactly and halves the memory traffic of every metric.
    return counts.astype(np.float32)


def poisson_bootstrap_weights(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Poisson(1) bootstrap weights, shape (n_resamples, n): each player's weight in each
    resample, drawn independently (no multinomial coupling), so the matrix is drawn in one call
    and a slice's resamples do not depend on the other slices."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.poisson(1.0, size=(n_resamples, n)).astype(np.float32)


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """The central 95% of the finite bootstrap values (NaN when there are none)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def expected_calibration_error(labels, scores, n_bins: int = N_CALIBRATION_BINS) -> float:
    """ECE over equal-width probability bins: the sum over bins of share x |mean score - observed
    rate|."""
    y, p = _as_arrays(labels, scores)
    if not len(y):
        return float("nan")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    gap = np.bincount(bins, weights=p, minlength=n_bins) - np.bincount(
        bins, weights=y, minlength=n_bins
    )
    return float(np.abs(gap).sum() / len(y))


def logit(p) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    clipped = np.clip(np.asarray(p, dtype=float), EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def calibration_slope_intercept(labels, scores, max_iterations: int = 50) -> tuple[float, float]:
    """Logistic recalibration logit P(y) = intercept + slope x logit(score), fitted by Newton's
    method: (1, 0) when calibrated. NaN when a class is absent or the fit does not converge."""
    y, p = _as_arrays(labels, scores)
    if len(np.unique(y)) < 2:
        return float("nan"), float("nan")
    design = np.column_stack([np.ones_like(p), logit(p)])
    beta = np.array([0.0, 1.0])
    for _ in range(max_iterations):
        fitted = expit(design @ beta)
        gradient = design.T @ (y - fitted)
        hessian = (design * (fitted * (1 - fitted))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return float("nan"), float("nan")
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            return float(beta[1]), float(beta[0])
    return float("nan"), float("nan")


def log_loss(labels, scores) -> float:
    """Mean negative log-likelihood (natural log), scores clipped away from 0 and 1."""
    y, p = _as_arrays(labels, scores)
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return (
        float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
        if len(y)
        else float("nan")
    )


def top_decile(labels, scores, order: np.ndarray | None = None) -> tuple[float, float]:
    """Lift and capture of the 10% highest scores: (their quick-churn rate / base rate, share of all
    quick churners among them). Ties at the cut are broken by position, deterministically;
    `order`, the players by score descending (stable) when the caller has it."""
    y, p = _as_arrays(labels, scores)
    n_top = int(np.ceil(0.1 * len(y)))
    if not n_top or y.sum() == 0:
        return float("nan"), float("nan")
    top = (np.argsort(-p, kind="mergesort") if order is None else order)[:n_top]
    caught = y[top].sum()
    return float(caught / n_top / y.mean()), float(caught / y.sum())


@dataclass(frozen=True)
class SliceMetrics:
    """Every metric of one model on one slice of players."""

    n_players: int
    n_quick_churners: int
    base_rate: float
    mean_probability: float
    roc_auc: float
    roc_auc_lower: float
    roc_auc_upper: float
    pr_auc: float
    pr_auc_lower: float
    pr_auc_upper: float
    brier_score: float
    log_loss: float
    expected_calibration_error: float
    calibration_slope: float
    calibration_intercept: float
    top_decile_lift: float
    top_decile_capture: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def evaluate_slice(
    labels, scores, weights: np.ndarray | None = None
) -> tuple[SliceMetrics, np.ndarray]:
    """All metrics of one slice and the bootstrap ROC-AUC of each resample; the intervals come from
    `weights` (bootstrap_weights; None or zero rows: no intervals)."""
    y, p = _as_arrays(labels, scores)
    n = len(y)
    ranking = _Ranking.of(y, p)
    draws = np.full(0, np.nan)
    auc_interval = ap_interval = (float("nan"), float("nan"))
    if weights is not None and len(weights):
        auc_draws, ap_draws = [], []
        # Resamples in blocks of about BOOTSTRAP_BLOCK weights: memory stays bounded on a slice
        # of a million players, and each resample's value is the same however they are blocked.
        block = max(1, BOOTSTRAP_BLOCK // max(n, 1))
        for start in range(0, len(weights), block):
            chunk = np.asarray(weights[start : start + block], dtype=float)
            # One sort and one set of per-score counts serve both bootstrap metrics.
            counts = _ranked_counts(y, p, chunk, ranking)
            negatives_so_far = np.cumsum(counts[1], axis=-1)
            auc_draws.append(_roc_auc(*counts, negatives_so_far))
            ap_draws.append(_average_precision(*counts, negatives_so_far))
        draws = np.concatenate(auc_draws)
        auc_interval = percentile_interval(draws)
        ap_interval = percentile_interval(np.concatenate(ap_draws))
    slope, intercept = calibration_slope_intercept(y, p)
    lift, capture = top_decile(y, p, ranking.order)
    point = _ranked_counts(y, p, np.ones_like(y), ranking)
    metrics = SliceMetrics(
        n_players=n,
        n_quick_churners=int(y.sum()),
        base_rate=float(y.mean()) if n else float("nan"),
        mean_probability=float(p.mean()) if n else float("nan"),
        roc_auc=float(_roc_auc(*point)),
        roc_auc_lower=auc_interval[0],
        roc_auc_upper=auc_interval[1],
        pr_auc=float(_average_precision(*point)),
        pr_auc_lower=ap_interval[0],
        pr_auc_upper=ap_interval[1],
        brier_score=float(np.mean((p - y) ** 2)) if n else float("nan"),
        log_loss=log_loss(y, p),
        expected_calibration_error=expected_calibration_error(y, p),
        calibration_slope=slope,
        calibration_intercept=intercept,
        top_decile_lift=lift,
        top_decile_capture=capture,
    )
    return metrics, draws


def paired_difference(
    point: float, reference_point: float, draws: np.ndarray, reference_draws: np.ndarray
) -> tuple[float, float, float]:
    """A metric's difference between two models on the same players, with the 95% interval of the
    differences over the same bootstrap resamples (paired)."""
    low, high = percentile_interval(draws - reference_draws) if len(draws) else (np.nan, np.nan)
    return float(point - reference_point), float(low), float(high)
