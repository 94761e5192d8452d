"""Evaluation metrics of the quick-churn classifier on hand-made data, against scikit-learn where
it has the same metric."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from churn.classifier.metrics import (
    CONFIDENCE,
    bootstrap_weights,
    calibration_slope_intercept,
    evaluate_slice,
    evaluate_slices,
    expected_calibration_error,
    paired_difference,
    paired_differences,
    percentile_intervals,
    poisson_bootstrap_weights,
    stable_seed,
    top_decile,
    weighted_average_precision,
    weighted_roc_auc,
)
from sklearn.metrics import average_precision_score, roc_auc_score


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    # Rounded scores: many ties, which the rank formulas must count one half.
    p = np.round(np.clip(0.3 * y + rng.random(2000) * 0.7, 0, 1), 2)
    return y, p


def test_auc_and_average_precision_match_scikit_learn_with_ties(scored):
    y, p = scored
    assert weighted_roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert weighted_average_precision(y, p) == pytest.approx(
        average_precision_score(y, p), abs=1e-12
    )


def test_weighted_metrics_equal_metrics_on_the_resampled_rows(scored):
    y, p = scored
    weights = bootstrap_weights(len(y), 3, seed=5)
    for b in range(3):
        rows = np.repeat(np.arange(len(y)), weights[b].astype(int))
        assert weighted_roc_auc(y, p, weights)[b] == pytest.approx(
            roc_auc_score(y[rows], p[rows]), abs=1e-6
        )
        assert weighted_average_precision(y, p, weights)[b] == pytest.approx(
            average_precision_score(y[rows], p[rows]), abs=1e-6
        )


def test_auc_is_undefined_with_one_class():
    assert np.isnan(weighted_roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_expected_calibration_error_by_hand():
    # Bin [0.2, 0.3): scores 0.25 x2, one churner -> |0.25 - 0.5| = 0.25, share 1/2.
    # Bin [0.8, 0.9): scores 0.85 x2, both churners -> |0.85 - 1| = 0.15, share 1/2.
    ece = expected_calibration_error([0, 1, 1, 1], [0.25, 0.25, 0.85, 0.85])
    assert ece == pytest.approx(0.5 * 0.25 + 0.5 * 0.15)
    # A score of exactly 1 falls in the last bin, not an eleventh one.
    assert expected_calibration_error([1, 1], [1.0, 1.0]) == pytest.approx(0)


def test_calibration_slope_and_intercept_of_calibrated_and_overconfident_scores():
    rng = np.random.default_rng(11)
    truth = rng.uniform(0.05, 0.95, 200_000)
    y = (rng.random(truth.size) < truth).astype(int)
    slope, intercept = calibration_slope_intercept(y, truth)
    assert slope == pytest.approx(1, abs=0.03) and intercept == pytest.approx(0, abs=0.03)
    # Doubling the log-odds is over-confidence: the recalibration slope is one half.
    logit = np.log(truth / (1 - truth))
    overconfident = 1 / (1 + np.exp(-2 * logit))
    slope, _ = calibration_slope_intercept(y, overconfident)
    assert slope == pytest.approx(0.5, abs=0.02)


def test_top_decile_lift_and_capture_by_hand():
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1, 0, 100)  # the 10 churners have the 10 highest scores
    lift, capture = top_decile(y, p)
    assert capture == pytest.approx(1.0)
    assert lift == pytest.approx(1.0 / 0.1)


def test_bootstrap_intervals_are_deterministic_and_bracket_the_estimate(scored):
    y, p = scored
    first, draws = evaluate_slice(y, p, bootstrap_weights(len(y), 200, seed=42))
    second, _ = evaluate_slice(y, p, bootstrap_weights(len(y), 200, seed=42))
    other, _ = evaluate_slice(y, p, bootstrap_weights(len(y), 200, seed=43))
    assert first == second
    assert (first.roc_auc_lower, first.roc_auc_upper) != (other.roc_auc_lower, other.roc_auc_upper)
    assert first.roc_auc_lower < first.roc_auc < first.roc_auc_upper
    assert first.pr_auc_lower < first.pr_auc < first.pr_auc_upper
    assert len(draws) == 200


def test_paired_difference_of_a_model_with_itself_is_exactly_zero(scored):
    y, p = scored
    weights = bootstrap_weights(len(y), 100, seed=1)
    draws = weighted_roc_auc(y, p, weights)
    assert paired_difference(0.7, 0.7, draws, draws) == (0.0, 0.0, 0.0)


def test_poisson_weights_are_one_matrix_with_mean_one_and_auc_matches_the_expanded_rows(scored):
    y, p = scored
    weights = poisson_bootstrap_weights(len(y), 400, seed=7)
    assert weights.shape == (400, len(y))
    assert weights.mean() == pytest.approx(1, abs=0.01)
    assert np.array_equal(weights, poisson_bootstrap_weights(len(y), 400, seed=7))
    draws = weighted_roc_auc(y, p, weights)
    for b in (0, 199, 399):
        rows = np.repeat(np.arange(len(y)), weights[b].astype(int))
        assert draws[b] == pytest.approx(roc_auc_score(y[rows], p[rows]), abs=1e-6)
    # The spread of the replicates is the bootstrap standard error of the AUC (about 0.011 here).
    assert 0.005 < draws.std() < 0.02


def test_calibration_slope_on_extreme_scores_leaks_no_overflow_warning():
    y = np.array([0, 1] * 50)
    p = np.where(y == 1, 1 - 1e-12, 1e-12)  # perfectly separated: Newton steps run away
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calibration_slope_intercept(y, p)


def test_bootstrap_blocks_bound_memory_without_changing_a_resample(scored, monkeypatch):
    from churn.classifier import metrics

    y, p = scored
    weights = poisson_bootstrap_weights(len(y), 50, seed=11)
    whole, whole_draws = evaluate_slice(y, p, weights)
    # Seven resamples per block: 50 resamples in eight blocks, the last one short.
    monkeypatch.setattr(metrics, "BOOTSTRAP_BLOCK", 7 * len(y))
    blocked, blocked_draws = evaluate_slice(y, p, weights)
    np.testing.assert_array_equal(blocked_draws, whole_draws)
    assert blocked == whole
    assert np.array_equal(blocked_draws, weighted_roc_auc(y, p, weights))


@pytest.fixture(scope="module")
def sliced(scored) -> tuple[np.ndarray, dict[str, np.ndarray], list[np.ndarray], list[int]]:
    """Overlapping slices as the evaluation has them: everyone, 'partners' and 'partitions' (some
    of one player, some with one class), two models (one with many ties)."""
    y, p = scored
    rng = np.random.default_rng(5)
    partition = rng.integers(0, 150, len(y))
    members = [np.arange(len(y))]
    members += [np.flatnonzero(partition // 10 == k) for k in range(15)]
    members += [np.flatnonzero(partition == k) for k in range(150) if (partition == k).any()]
    members += [np.array([7]), np.flatnonzero(y == 1)[:5]]
    scores = {"tied": p, "smooth": np.clip(p + rng.normal(0, 0.05, len(y)), 0.001, 0.999)}
    seeds = [stable_seed(3, "slice", k) for k in range(len(members))]
    return y, scores, members, seeds


def test_batched_slices_equal_each_slice_evaluated_alone(sliced):
    y, scores, members, seeds = sliced
    batches = evaluate_slices(y, scores, members, seeds, 60)
    for name, batch in batches.items():
        assert batch.roc_auc_draws.shape == (60, len(members))
        for index, rows in enumerate(members):
            weights = poisson_bootstrap_weights(len(rows), 60, seeds[index])
            alone, draws = evaluate_slice(y[rows], scores[name][rows], weights)
            # Whole-number weights: the AUC's sums are exact, so the draws are identical.
            np.testing.assert_array_equal(batch.roc_auc_draws[:, index], draws)
            for field, value in alone.as_dict().items():
                np.testing.assert_allclose(
                    batch.metrics[field][index], value, rtol=1e-9, atol=1e-12, err_msg=field
                )


def test_batched_slices_do_not_depend_on_how_they_are_chunked(sliced, monkeypatch):
    from churn.classifier import metrics

    y, scores, members, seeds = sliced
    whole = evaluate_slices(y, scores, members, seeds, 40)
    # A block smaller than the overall slice's weights: every slice alone, its resamples drawn
    # three at a time from the same generator.
    monkeypatch.setattr(metrics, "BOOTSTRAP_BLOCK", 3 * len(y))
    chunked = evaluate_slices(y, scores, members, seeds, 40)
    for name in scores:
        np.testing.assert_array_equal(chunked[name].roc_auc_draws, whole[name].roc_auc_draws)
        for field, values in whole[name].metrics.items():
            np.testing.assert_allclose(chunked[name].metrics[field], values, rtol=1e-12)


def test_float32_resample_counts_give_the_float64_metrics_to_the_last_bit(sliced, monkeypatch):
    from churn.classifier import metrics

    y, scores, members, seeds = sliced
    as_float32 = evaluate_slices(y, scores, members, seeds, 40)
    # No slice small enough for float32 counts: every count in float64, as before the change.
    monkeypatch.setattr(metrics, "EXACT_FLOAT32_PLAYERS", 0)
    as_float64 = evaluate_slices(y, scores, members, seeds, 40)
    for name in scores:
        np.testing.assert_array_equal(
            as_float32[name].roc_auc_draws, as_float64[name].roc_auc_draws
        )
        for field, values in as_float64[name].metrics.items():
            np.testing.assert_array_equal(as_float32[name].metrics[field], values, err_msg=field)


@pytest.mark.parametrize("one_slice", [False, True], ids=["runs of slices", "models"])
def test_slices_evaluated_on_several_processes_equal_one_process(sliced, monkeypatch, one_slice):
    from churn.classifier import metrics
    from churn.processes import process_pool

    y, scores, members, seeds = sliced
    if one_slice:  # every player in one slice: the processes share out the models
        members, seeds = [np.arange(len(y))], seeds[:1]
    whole = evaluate_slices(y, scores, members, seeds, 40)
    # Small enough a block that this small data is worth splitting.
    monkeypatch.setattr(metrics, "BOOTSTRAP_BLOCK", len(y))
    with process_pool(1) as pool:
        split = metrics.evaluate_slices_on(pool, y, scores, members, seeds, 40)
    assert list(split) == list(scores)
    for name in scores:
        # Whole-number weights: the AUC draws are exact; the average precision's divisions may
        # round in another order where the slices are chunked differently (as above).
        np.testing.assert_array_equal(split[name].roc_auc_draws, whole[name].roc_auc_draws)
        for field, values in whole[name].metrics.items():
            np.testing.assert_allclose(
                split[name].metrics[field], values, rtol=1e-12, err_msg=field
            )


def test_batched_paired_differences_match_the_one_slice_version(sliced):
    y, scores, members, seeds = sliced
    batches = evaluate_slices(y, scores, members, seeds, 50)
    difference, low, high = paired_differences(batches["smooth"], batches["tied"])
    for index in (0, 3, 20):
        expected = paired_difference(
            batches["smooth"].metrics["roc_auc"][index],
            batches["tied"].metrics["roc_auc"][index],
            batches["smooth"].roc_auc_draws[:, index],
            batches["tied"].roc_auc_draws[:, index],
        )
        assert (difference[index], low[index], high[index]) == expected


def test_vectorised_percentiles_are_numpys_to_the_last_bit():
    rng = np.random.default_rng(2)
    values = rng.random((37, 40))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:, 0] = np.nan  # a column without one finite value
    values[:, 1] = np.nan  # and one with a single value
    values[0, 1] = 0.5
    low, high = percentile_intervals(values)
    tail = (1 - CONFIDENCE) / 2 * 100
    assert np.isnan(low[0]) and np.isnan(high[0])
    for column in range(1, values.shape[1]):
        finite = values[np.isfinite(values[:, column]), column]
        assert (low[column], high[column]) == tuple(np.percentile(finite, [tail, 100 - tail]))


def test_batched_calibration_fits_equal_one_slice_at_a_time(sliced):
    y, scores, members, _ = sliced
    p = scores["smooth"]
    batch = evaluate_slices(y, {"smooth": p}, members, [0] * len(members), 0)["smooth"]
    for index in (0, 1, 17, len(members) - 1):
        slope, intercept = calibration_slope_intercept(y[members[index]], p[members[index]])
        np.testing.assert_allclose(batch.metrics["calibration_slope"][index], slope, rtol=1e-9)
        np.testing.assert_allclose(
            batch.metrics["calibration_intercept"][index], intercept, rtol=1e-9, atol=1e-12
        )
    # The last slice has quick churners only: no recalibration can be fitted.
    assert np.isnan(batch.metrics["calibration_slope"][-1])


def test_a_score_that_separates_the_classes_has_no_calibration_fit():
    # Quasi-separated (the classes meet at one tied score): the likelihood has no finite
    # optimum, so no slope is reported rather than wherever Newton's method stopped.
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([1.0, 0.8, 0.8, 0.4, 0.4, 0.3, 0.2, 0.2, 0.1, 0.0, 0.0])
    assert np.isnan(calibration_slope_intercept(y, p)).all()
    assert np.isnan(calibration_slope_intercept(1 - y, p)).all()
    # One player more on the wrong side: an ordinary fit.
    slope, _ = calibration_slope_intercept(np.r_[y, 1], np.r_[p, 0.1])
    assert np.isfinite(slope)


def test_an_empty_slice_has_no_top_decile():
    assert all(np.isnan(value) for value in top_decile([], []))
