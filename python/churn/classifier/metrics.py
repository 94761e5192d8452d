"""Evaluation metrics of a probabilistic binary classifier, with seeded bootstrap intervals.

ROC-AUC and average precision are computed from weights per distinct score, so one sort serves
every bootstrap resample: all replicates are one (resamples x players) weight matrix (Poisson
bootstrap weights, or multinomial counts), and each metric is a handful of cumulative sums over
its rows. The same seed gives the same resamples for every model scored on the same players, which
makes differences between models paired.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from churn.processes import Workers

EPSILON = 1e-6
N_CALIBRATION_BINS = 10
CONFIDENCE = 0.95
# Bootstrap weights evaluated together (resamples x players): 512 KB per float64 array, so the
# arrays of one pass stay in the processor's cache (measured: 4 MB blocks took twice as long).
BOOTSTRAP_BLOCK = 1 << 16
# Up to this many players a slice's resample counts, their running sums and those less half a
# count are whole numbers or halves below 2^23, which float32 holds exactly: the counts are
# float32 (half the memory traffic), every product and ratio float64, and the metrics the same
# to the last bit as in float64.
EXACT_FLOAT32_PLAYERS = 1 << 22


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
    """Players of one or more slices sorted by slice, then by score descending (stable), and the
    runs of equal scores within a slice ("groups", never crossing a slice): one sort that every
    rank metric of every slice shares. A player may sit in several slices (overall, partner,
    partition): each membership is one entry."""

    order: np.ndarray  # entry of each sorted position
    starts: np.ndarray  # first sorted position of each group
    is_positive: np.ndarray  # label of each sorted entry
    group_slice: np.ndarray  # slice of each group
    slice_groups: np.ndarray  # first group of each slice

    @classmethod
    def of(cls, y: np.ndarray, p: np.ndarray, slice_of: np.ndarray | None = None) -> _Ranking:
        if len(p) == 0:
            nothing = np.zeros(0, dtype=np.intp)
            return cls(nothing, nothing, np.zeros(0, dtype=bool), nothing, nothing)
        if slice_of is None:
            order = np.argsort(-p, kind="mergesort")
            new_slice = np.zeros(len(p), dtype=bool)
        else:
            order = np.lexsort((-p, slice_of))  # stable: ties keep their entry order
            sorted_slice = slice_of[order]
            new_slice = np.r_[False, sorted_slice[1:] != sorted_slice[:-1]]
        sorted_p = p[order]
        starts = np.flatnonzero(np.r_[True, (sorted_p[1:] != sorted_p[:-1]) | new_slice[1:]])
        group_slice = np.cumsum(new_slice)[starts]
        slice_groups = np.flatnonzero(np.r_[True, group_slice[1:] != group_slice[:-1]])
        return cls(order, starts, y[order] == 1, group_slice, slice_groups)

    @property
    def n_slices(self) -> int:
        return len(self.slice_groups)

    def slice_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of per-group values over each slice: shape (..., n_slices)."""
        if self.n_slices == 1:
            return values.sum(axis=-1, keepdims=True)
        return np.add.reduceat(values, self.slice_groups, axis=-1)

    def running_sum(self, values: np.ndarray) -> np.ndarray:
        """Running sum of per-group values, restarting at each slice."""
        if self.n_slices == 1:
            return np.cumsum(values, axis=-1)
        # Each slice's first group carries minus the previous slice's total, so one running sum
        # restarts at every slice (exact: bootstrap weights are whole numbers).
        shifted = np.array(values)
        shifted[..., self.slice_groups[1:]] -= self.slice_sum(values)[..., :-1]
        return np.cumsum(shifted, axis=-1)

    def part(self, first_slice: int, end_slice: int) -> _Ranking:
        """The ranking of slices first_slice..end_slice - 1 alone, their entries numbered from 0
        (slices are contiguous in both the entries and the sort)."""
        first_group = self.slice_groups[first_slice]
        end_group = self.slice_groups[end_slice] if end_slice < self.n_slices else len(self.starts)
        first = self.starts[first_group]
        end = self.starts[end_group] if end_group < len(self.starts) else len(self.order)
        return _Ranking(
            self.order[first:end] - first,
            self.starts[first_group:end_group] - first,
            self.is_positive[first:end],
            self.group_slice[first_group:end_group] - first_slice,
            self.slice_groups[first_slice:end_slice] - first_group,
        )


def _ranked_counts(
    y: np.ndarray, p: np.ndarray, weights: np.ndarray, ranking: _Ranking | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative weight per group (slice, then score descending): shape
    (..., n_groups)."""
    ranking = _Ranking.of(y, p) if ranking is None else ranking
    starts, is_positive = ranking.starts, ranking.is_positive
    w = weights[..., ranking.order]
    if len(starts) == len(ranking.order):  # no ties: every entry is a group of one
        return np.where(is_positive, w, 0), np.where(is_positive, 0, w)
    positive = np.add.reduceat(np.where(is_positive, w, 0), starts, axis=-1)
    negative = np.add.reduceat(np.where(is_positive, 0, w), starts, axis=-1)
    return positive, negative


def _roc_auc(
    positive: np.ndarray,
    negative: np.ndarray,
    ranking: _Ranking,
    negatives_so_far: np.ndarray | None = None,
) -> np.ndarray:
    """ROC-AUC of each slice from _ranked_counts (ties count one half), shape (..., n_slices);
    NaN where a class is absent. `negatives_so_far`, ranking.running_sum(negative), when the
    caller has it."""
    if negatives_so_far is None:
        negatives_so_far = ranking.running_sum(negative)
    # Concordant pairs: each positive with the negatives scored strictly lower (all negatives but
    # those at or above its score) plus half of those tied with it. Counts may come as float32
    # (exact, see EXACT_FLOAT32_PLAYERS); products of counts are formed in float64.
    total = np.multiply(ranking.slice_sum(positive), ranking.slice_sum(negative), dtype=float)
    pairs = np.multiply(positive, negatives_so_far - 0.5 * negative, dtype=float)
    concordant = total - ranking.slice_sum(pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, concordant / np.where(total > 0, total, 1), np.nan)


def _average_precision(
    positive: np.ndarray,
    negative: np.ndarray,
    ranking: _Ranking,
    negatives_so_far: np.ndarray | None = None,
) -> np.ndarray:
    """Average precision of each slice from _ranked_counts (the precision-recall step curve's
    area), shape (..., n_slices)."""
    if negatives_so_far is None:
        negatives_so_far = ranking.running_sum(negative)
    true_positives = ranking.running_sum(positive)
    flagged = true_positives + negatives_so_far
    total_positive = ranking.slice_sum(positive)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Nothing flagged means no true positive either: a precision of 0 / tiny = 0. The ratio
        # and its weighting in float64 whatever the counts' type.
        least = np.finfo(flagged.dtype).tiny
        precision = np.divide(true_positives, np.maximum(flagged, least), dtype=float)
        value = ranking.slice_sum(np.multiply(positive, precision, dtype=float)) / np.where(
            total_positive > 0, total_positive, 1
        )
    return np.where(total_positive > 0, value, np.nan)


def _bootstrap_draws(ranking: _Ranking, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and average precision of every resample (row of `weights`) and slice: one set of
    per-group counts and one running sum serve both."""
    counts = _ranked_counts(ranking.is_positive, ranking.order, weights, ranking)
    negatives_so_far = ranking.running_sum(counts[1])
    return (
        _roc_auc(*counts, ranking, negatives_so_far),
        _average_precision(*counts, ranking, negatives_so_far),
    )


def _one_slice(labels, scores, weights) -> tuple[np.ndarray, np.ndarray, _Ranking]:
    y, p = _as_arrays(labels, scores)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    ranking = _Ranking.of(y, p)
    return *_ranked_counts(y, p, w, ranking), ranking


def weighted_roc_auc(labels, scores, weights=None) -> np.ndarray:
    """ROC-AUC (ties count one half); `weights` may be 2-d (one row per resample). NaN if a
    class is absent."""
    return _roc_auc(*_one_slice(labels, scores, weights))[..., 0]


def weighted_average_precision(labels, scores, weights=None) -> np.ndarray:
    """Average precision (area under the precision-recall step curve, as scikit-learn's)."""
    return _average_precision(*_one_slice(labels, scores, weights))[..., 0]


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


def _poisson_generator(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def poisson_bootstrap_weights(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Poisson(1) bootstrap weights, shape (n_resamples, n): each player's weight in each
    resample, drawn independently (no multinomial coupling), so the matrix is drawn in one call
    and a slice's resamples do not depend on the other slices. Drawn in blocks of rows from the
    same generator, the rows are the same (evaluate_slices relies on it)."""
    return _poisson_generator(seed).poisson(1.0, size=(n_resamples, n)).astype(np.float32)


def percentile_intervals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The central 95% of the finite bootstrap values of each column of `values` (resamples x
    columns), NaN where a column has none: numpy's default ('linear') percentile, vectorised."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        nothing = np.full(values.shape[1:], np.nan)
        return nothing, nothing.copy()
    finite = np.isfinite(values)
    n_finite = finite.sum(axis=0)
    ordered = np.sort(np.where(finite, values, np.inf), axis=0)  # the non-finite sort last
    tail = (1 - CONFIDENCE) / 2 * 100
    bounds = []
    for quantile in np.true_divide([tail, 100 - tail], 100):
        virtual = (n_finite - 1) * quantile
        below = np.clip(np.floor(virtual), 0, None).astype(np.intp)
        above = np.minimum(below + 1, np.maximum(n_finite - 1, 0))
        low = np.take_along_axis(ordered, below[None], axis=0)[0]
        high = np.take_along_axis(ordered, above[None], axis=0)[0]
        gamma = virtual - below
        # numpy's interpolation, term for term, so the values are the same to the last bit.
        with np.errstate(invalid="ignore"):
            value = np.where(
                gamma >= 0.5, high - (high - low) * (1 - gamma), low + (high - low) * gamma
            )
        bounds.append(np.where(n_finite > 0, value, np.nan))
    return bounds[0], bounds[1]


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """The central 95% of the finite bootstrap values (NaN when there are none)."""
    low, high = percentile_intervals(np.asarray(values, dtype=float).reshape(-1, 1))
    return float(low[0]), float(high[0])


def _calibration_bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def expected_calibration_error(labels, scores, n_bins: int = N_CALIBRATION_BINS) -> float:
    """ECE over equal-width probability bins: the sum over bins of share x |mean score - observed
    rate|."""
    y, p = _as_arrays(labels, scores)
    return float(_slice_calibration_errors(y, p, np.zeros(len(y), dtype=np.intp), 1, n_bins)[0])


def _slice_calibration_errors(
    y: np.ndarray, p: np.ndarray, slice_of: np.ndarray, n_slices: int, n_bins: int
) -> np.ndarray:
    cells = slice_of * n_bins + _calibration_bins(p, n_bins)
    size = n_slices * n_bins
    gap = np.bincount(cells, weights=p, minlength=size) - np.bincount(
        cells, weights=y, minlength=size
    )
    counts = np.bincount(slice_of, minlength=n_slices)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(gap).reshape(n_slices, n_bins).sum(axis=1) / counts


def logit(p) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    clipped = np.clip(np.asarray(p, dtype=float), EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def calibration_slope_intercept(labels, scores, max_iterations: int = 50) -> tuple[float, float]:
    """Logistic recalibration logit P(y) = intercept + slope x logit(score), fitted by Newton's
    method: (1, 0) when calibrated. NaN when a class is absent, the score separates the classes
    (the fit has no finite optimum) or the fit does not converge."""
    y, p = _as_arrays(labels, scores)
    slope, intercept = _slice_calibration_fits(
        y, p, np.zeros(len(y), dtype=np.intp), 1, max_iterations
    )
    return float(slope[0]), float(intercept[0])


def _slice_calibration_fits(
    y: np.ndarray, p: np.ndarray, slice_of: np.ndarray, n_slices: int, max_iterations: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """(slope, intercept) of each slice's recalibration, all slices' Newton iterations together
    (a 2 x 2 system per slice); a slice stops at its first step below 1e-10."""

    def per_slice(values: np.ndarray) -> np.ndarray:
        return np.bincount(slice_of, weights=values, minlength=n_slices)

    x = logit(p)
    n_positive = per_slice(y)
    n = np.bincount(slice_of, minlength=n_slices)
    intercept, slope = np.zeros(n_slices), np.ones(n_slices)
    done = np.zeros(n_slices, dtype=bool)
    # One class only, or the classes separated by the score (no finite maximum likelihood: the
    # slope runs away): nothing to fit, and no iteration runs for the slice.
    lowest = np.full((2, n_slices), np.inf)
    highest = np.full((2, n_slices), -np.inf)
    is_positive = (y == 1).astype(np.intp)
    np.minimum.at(lowest, (is_positive, slice_of), x)
    np.maximum.at(highest, (is_positive, slice_of), x)
    separated = (lowest[1] >= highest[0]) | (highest[1] <= lowest[0])
    active = (n_positive > 0) & (n_positive < n) & ~separated
    for _ in range(max_iterations):
        if not active.any():
            break
        fitted = expit(intercept[slice_of] + slope[slice_of] * x)
        residual, curvature = y - fitted, fitted * (1 - fitted)
        g0, g1 = per_slice(residual), per_slice(residual * x)
        h00, h01, h11 = per_slice(curvature), per_slice(curvature * x), per_slice(curvature * x * x)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # Scaled first: far along a separated slice's runaway the terms are near the
            # smallest floats, and unscaled products would underflow to a false zero step.
            scale = np.maximum(np.maximum(np.abs(h00), np.abs(h11)), np.abs(h01))
            scale = np.where(scale > 0, scale, 1)
            g0, g1, h00, h01, h11 = g0 / scale, g1 / scale, h00 / scale, h01 / scale, h11 / scale
            determinant = h00 * h11 - h01 * h01
            singular = ~(np.isfinite(determinant) & (determinant != 0))
            step0 = (h11 * g0 - h01 * g1) / determinant
            step1 = (h00 * g1 - h01 * g0) / determinant
        active &= ~singular
        intercept = np.where(active, intercept + step0, intercept)
        slope = np.where(active, slope + step1, slope)
        with np.errstate(invalid="ignore"):
            converged = active & (np.maximum(np.abs(step0), np.abs(step1)) < 1e-10)
        done |= converged
        active &= ~converged
    return np.where(done, slope, np.nan), np.where(done, intercept, np.nan)


def log_loss(labels, scores) -> float:
    """Mean negative log-likelihood (natural log), scores clipped away from 0 and 1."""
    y, p = _as_arrays(labels, scores)
    if not len(y):
        return float("nan")
    return float(_slice_log_losses(y, p, np.zeros(len(y), dtype=np.intp), 1)[0])


def _slice_log_losses(
    y: np.ndarray, p: np.ndarray, slice_of: np.ndarray, n_slices: int
) -> np.ndarray:
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    terms = y * np.log(clipped) + (1 - y) * np.log(1 - clipped)
    return -np.bincount(slice_of, weights=terms, minlength=n_slices) / np.bincount(
        slice_of, minlength=n_slices
    )


def top_decile(labels, scores) -> tuple[float, float]:
    """Lift and capture of the 10% highest scores: (their quick-churn rate / base rate, share of all
    quick churners among them). Ties at the cut are broken by position, deterministically."""
    y, p = _as_arrays(labels, scores)
    if len(y) == 0:
        return float("nan"), float("nan")
    lift, capture = _slice_top_deciles(y, np.zeros(len(y), dtype=np.intp), _Ranking.of(y, p))
    return float(lift[0]), float(capture[0])


def _slice_top_deciles(
    y: np.ndarray, slice_of: np.ndarray, ranking: _Ranking
) -> tuple[np.ndarray, np.ndarray]:
    """Top-decile lift and capture of each slice: its first ceil(n / 10) entries in the ranking's
    order (NaN for an empty top or a slice without quick churners)."""
    n_slices = ranking.n_slices
    n = np.bincount(slice_of, minlength=n_slices)
    n_positive = np.bincount(slice_of, weights=y, minlength=n_slices)
    sorted_slice = slice_of[ranking.order]
    first_entry = np.r_[0, np.cumsum(n)[:-1]]
    n_top = np.ceil(0.1 * n)
    in_top = np.arange(len(y)) - first_entry[sorted_slice] < n_top[sorted_slice]
    caught = np.bincount(sorted_slice, weights=y[ranking.order] * in_top, minlength=n_slices)
    has_top = (n_top > 0) & (n_positive > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(has_top, caught / n_top / (n_positive / n), np.nan)
        capture = np.where(has_top, caught / n_positive, np.nan)
    return lift, capture


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


def _point_metrics(
    y: np.ndarray, p: np.ndarray, slice_of: np.ndarray, ranking: _Ranking
) -> dict[str, np.ndarray]:
    """Every SliceMetrics field but the intervals, one value per slice."""
    n_slices = ranking.n_slices

    def per_slice(values: np.ndarray) -> np.ndarray:
        return np.bincount(slice_of, weights=values, minlength=n_slices)

    n = np.bincount(slice_of, minlength=n_slices)
    n_positive = per_slice(y)
    point = _ranked_counts(y, p, np.ones_like(y), ranking)
    slope, intercept = _slice_calibration_fits(y, p, slice_of, n_slices)
    lift, capture = _slice_top_deciles(y, slice_of, ranking)
    return {
        "n_players": n,
        "n_quick_churners": n_positive.astype(int),
        "base_rate": n_positive / n,
        "mean_probability": per_slice(p) / n,
        "roc_auc": _roc_auc(*point, ranking),
        "pr_auc": _average_precision(*point, ranking),
        "brier_score": per_slice((p - y) ** 2) / n,
        "log_loss": _slice_log_losses(y, p, slice_of, n_slices),
        "expected_calibration_error": _slice_calibration_errors(
            y, p, slice_of, n_slices, N_CALIBRATION_BINS
        ),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "top_decile_lift": lift,
        "top_decile_capture": capture,
    }


def _with_intervals(
    point: dict[str, np.ndarray], auc_draws: np.ndarray, ap_draws: np.ndarray
) -> dict[str, np.ndarray]:
    auc_low, auc_high = percentile_intervals(auc_draws)
    ap_low, ap_high = percentile_intervals(ap_draws)
    intervals = {
        "roc_auc_lower": auc_low,
        "roc_auc_upper": auc_high,
        "pr_auc_lower": ap_low,
        "pr_auc_upper": ap_high,
    }
    merged = {**point, **intervals}
    return {name: merged[name] for name in SliceMetrics.__dataclass_fields__}


def evaluate_slice(
    labels, scores, weights: np.ndarray | None = None
) -> tuple[SliceMetrics, np.ndarray]:
    """All metrics of one slice and the bootstrap ROC-AUC of each resample; the intervals come from
    `weights` (bootstrap_weights; None or zero rows: no intervals)."""
    y, p = _as_arrays(labels, scores)
    ranking = _Ranking.of(y, p)
    weights = np.zeros((0, len(y))) if weights is None else weights
    # Resamples in blocks of about BOOTSTRAP_BLOCK weights: memory stays bounded on a slice
    # of a million players, and each resample's value is the same however they are blocked.
    block = max(1, BOOTSTRAP_BLOCK // max(len(y), 1))
    drawn = [
        _bootstrap_draws(ranking, np.asarray(weights[start : start + block], dtype=float))
        for start in range(0, len(weights), block)
    ] or [(np.full((0, 1), np.nan), np.full((0, 1), np.nan))]
    auc_draws = np.concatenate([auc for auc, _ in drawn])
    ap_draws = np.concatenate([ap for _, ap in drawn])
    point = _point_metrics(y, p, np.zeros(len(y), dtype=np.intp), ranking)
    columns = _with_intervals(point, auc_draws, ap_draws)
    values = {name: column[0].item() for name, column in columns.items()}
    return SliceMetrics(**values), auc_draws[:, 0]


@dataclass(frozen=True)
class SliceBatch:
    """Every metric of one model on many slices: one array per SliceMetrics field (one value per
    slice) and the bootstrap ROC-AUC of each resample and slice (resamples x slices)."""

    metrics: dict[str, np.ndarray]
    roc_auc_draws: np.ndarray


def _chunks(sizes: Sequence[int], n_resamples: int) -> list[range]:
    """Consecutive slices whose weights together stay within about BOOTSTRAP_BLOCK (a slice larger
    than that alone, its resamples then drawn in blocks)."""
    chunks, first, filled = [], 0, 0
    for index, size in enumerate(sizes):
        if index > first and (filled + size) * max(n_resamples, 1) > BOOTSTRAP_BLOCK:
            chunks.append(range(first, index))
            first, filled = index, 0
        filled += size
    if len(sizes):
        chunks.append(range(first, len(sizes)))
    return chunks


def evaluate_slices(
    labels,
    scores: Mapping[str, np.ndarray],
    members: Sequence[np.ndarray],
    seeds: Sequence[int],
    n_resamples: int,
) -> dict[str, SliceBatch]:
    """Every metric of every model in `scores` on every slice (`members`: the row positions of
    each slice; slices may overlap), with Poisson bootstrap intervals: slice s's weights are
    poisson_bootstrap_weights(len(members[s]), n_resamples, seeds[s]), the same for every model
    (so differences between models are paired), so each slice's values are those evaluate_slice
    gives it. One sort by (slice, score) per model serves every slice; the resamples are
    evaluated in chunks of slices (one weight matrix of about BOOTSTRAP_BLOCK per chunk)."""
    if any(not len(rows) for rows in members):
        raise ValueError("every slice needs at least one player")
    sizes = [len(rows) for rows in members]
    entries = np.concatenate(members) if len(members) else np.zeros(0, dtype=np.intp)
    slice_of = np.repeat(np.arange(len(sizes)), sizes)
    first_entry = np.r_[0, np.cumsum(sizes)]
    y = np.asarray(labels, dtype=float)[entries]
    entry_scores = {
        name: np.asarray(values, dtype=float)[entries] for name, values in scores.items()
    }
    rankings = {name: _Ranking.of(y, p, slice_of) for name, p in entry_scores.items()}
    count_type = np.float32 if max(sizes, default=0) <= EXACT_FLOAT32_PLAYERS else np.float64
    auc = {name: np.full((n_resamples, len(sizes)), np.nan) for name in scores}
    ap = {name: np.full((n_resamples, len(sizes)), np.nan) for name in scores}
    for chunk in _chunks(sizes, n_resamples):
        first, end = chunk.start, chunk.stop
        parts = {name: ranking.part(first, end) for name, ranking in rankings.items()}
        generators = [_poisson_generator(seeds[s]) for s in chunk]
        block = max(1, BOOTSTRAP_BLOCK // int(first_entry[end] - first_entry[first]))
        for start in range(0, n_resamples, block):
            rows = min(block, n_resamples - start)
            weights = np.concatenate(
                [
                    g.poisson(1.0, size=(rows, sizes[s]))
                    for g, s in zip(generators, chunk, strict=True)
                ],
                axis=1,
            ).astype(count_type)
            for name, part in parts.items():
                drawn = _bootstrap_draws(part, weights)
                auc[name][start : start + rows, first:end] = drawn[0]
                ap[name][start : start + rows, first:end] = drawn[1]
    return {
        name: SliceBatch(
            _with_intervals(_point_metrics(y, p, slice_of, rankings[name]), auc[name], ap[name]),
            auc[name],
        )
        for name, p in entry_scores.items()
    }


def _evaluate_run(task: tuple) -> dict[str, SliceBatch]:
    return evaluate_slices(*task)


def evaluate_slices_on(
    pool: Workers,
    labels,
    scores: Mapping[str, np.ndarray],
    members: Sequence[np.ndarray],
    seeds: Sequence[int],
    n_resamples: int,
) -> dict[str, SliceBatch]:
    """evaluate_slices with the work cut into one task of about equal size per process of `pool`,
    the first in this process: runs of slices, or, when the slices do not split evenly (one slice
    of every player), groups of models, each task drawing the same resample weights from the
    slices' seeds. A slice's values depend only on its players, its seed and the model's scores,
    so they are those of one call either way."""
    sizes = np.array([len(rows) for rows in members], dtype=float)
    workers = min(pool.processes, max(len(members), len(scores)))
    if workers <= 1 or sizes.sum() * n_resamples < 4 * BOOTSTRAP_BLOCK:
        return evaluate_slices(labels, scores, members, seeds, n_resamples)
    # Run k ends at the slice boundary nearest to k / workers of the total size.
    before = np.r_[0, np.cumsum(sizes)]  # size of the slices before each boundary
    targets = before[-1] * np.arange(1, workers) / workers
    cuts = np.abs(before[:, None] - targets[None, :]).argmin(axis=0)
    bounds = np.unique(np.r_[0, cuts, len(members)])
    largest_run = np.diff(before[bounds]).max()
    if len(bounds) - 1 == workers and largest_run <= 1.5 * before[-1] / workers:
        runs = [range(first, end) for first, end in zip(bounds[:-1], bounds[1:], strict=True)]
        tasks = [
            (labels, scores, [members[i] for i in part], [seeds[i] for i in part], n_resamples)
            for part in runs
        ]
        parts = pool.map_here_first(_evaluate_run, tasks)
        return {
            name: SliceBatch(
                {
                    field: np.concatenate([part[name].metrics[field] for part in parts])
                    for field in parts[0][name].metrics
                },
                np.concatenate([part[name].roc_auc_draws for part in parts], axis=1),
            )
            for name in scores
        }
    names = list(scores)
    groups = [names[k::workers] for k in range(workers) if names[k::workers]]
    by_model = [
        (labels, {name: scores[name] for name in group}, members, seeds, n_resamples)
        for group in groups
    ]
    merged = {
        name: batch
        for part in pool.map_here_first(_evaluate_run, by_model)
        for name, batch in part.items()
    }
    return {name: merged[name] for name in names}


def paired_difference(
    point: float, reference_point: float, draws: np.ndarray, reference_draws: np.ndarray
) -> tuple[float, float, float]:
    """A metric's difference between two models on the same players, with the 95% interval of the
    differences over the same bootstrap resamples (paired)."""
    low, high = percentile_interval(draws - reference_draws) if len(draws) else (np.nan, np.nan)
    return float(point - reference_point), float(low), float(high)


def paired_differences(
    batch: SliceBatch, reference: SliceBatch
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """paired_difference of the ROC-AUC on every slice of two SliceBatches of the same slices
    (and so the same resamples): (difference, lower, upper), one value per slice."""
    low, high = percentile_intervals(batch.roc_auc_draws - reference.roc_auc_draws)
    return batch.metrics["roc_auc"] - reference.metrics["roc_auc"], low, high
