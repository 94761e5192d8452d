"""Tests of the validation command: its help per subcommand, the target verdicts, and the
survival and classifier figures on hand-made frames whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from churn.simulate.regimes import validated_regimes
from churn.validate import main
from churn.validate.classifier import (
    classifier_figures,
    ece_noise_floor,
    worst_cohort,
    worst_cohort_beyond_noise,
)
from churn.validate.survival import compare, rmst_band_columns, survival_figures
from churn.validate.targets import MET, NOT_AVAILABLE, NOT_MET, Target, format_table, judge


@pytest.mark.parametrize(
    "subcommand, option", [("survival", "RMST(60)"), ("classifier", "--details")]
)
def test_each_subcommand_prints_its_own_help(subcommand, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([subcommand, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert f"churn.validate {subcommand}" in text
    assert "--regime" in text and "--all" in text and "--seeds" in text
    assert option in text


def test_top_level_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "survival" in text and "classifier" in text


def test_unknown_regime_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["survival", "--regime", "nope"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_all_runs_the_short_windows_and_new_players():
    names = validated_regimes()
    for name in (
        "window_18",
        "window_24",
        "window_30",
        "new_players_24",
        "mix_drift",
        "rising_hazard",
    ):
        assert name in names


def test_verdicts_on_a_hand_made_table():
    targets = [
        Target("mae", "MAE", high=0.01),
        Target("cover", "coverage", 0.90, 0.98),
        Target("auc", "AUC ratio", low=0.98),
        Target("gone", "missing", high=1.0),
        Target("ref", "Bayes AUC"),
    ]
    figures = {
        "mae": [0.004, 0.01],
        "cover": [0.95, 0.99],
        "auc": [0.99, None],
        "gone": [None, None],
        "ref": [0.8, 0.81],
    }
    table = judge(targets, figures)
    assert table["verdict"].tolist() == [MET, NOT_MET, "met (1 of 2 runs)", NOT_AVAILABLE, ""]
    assert table.loc[2, "run 2"] == NOT_AVAILABLE
    assert table["target"].tolist() == [
        "<= 0.01",
        "in [0.9, 0.98]",
        ">= 0.98",
        "<= 1",
        "(reference)",
    ]
    text = format_table(table, seeds=[1, 2])
    header, first = text.splitlines()[:2]
    assert "seed 1" in header and "seed 2" in header
    assert first.split() == ["MAE", "0.0040", "0.0100", "<=", "0.01", "met"]
    one_missing = judge([Target("auc", "AUC ratio", low=0.98)], {"auc": [0.97, None]})
    assert one_missing["verdict"].tolist() == [NOT_MET]


def _curves_and_truth(n_players: int, shift: float, observed: int, partner: str):
    months = np.arange(61)
    expected = np.exp(-0.05 * months)
    return pd.DataFrame(
        {
            "partner_id": partner,
            "geo": "NJ",
            "n_players": n_players,
            "month_number": months,
            "survival": expected + shift,
            "survival_lower": expected + shift - 0.02,
            "survival_upper": expected + shift + 0.02,
            "raw_survival": np.where(months <= observed, expected + 2 * shift, np.nan),
            "is_extrapolated": months > observed,
        }
    ), pd.DataFrame(
        {
            "partner_id": partner,
            "geo": "NJ",
            "month_number": months,
            "expected": expected,
            "realised": expected,
        }
    )


def test_survival_figures_on_hand_made_curves():
    parts = [_curves_and_truth(2500, 0.005, 30, "P01"), _curves_and_truth(150, 0.03, 30, "P02")]
    curves = pd.concat([c for c, _ in parts], ignore_index=True)
    truth = pd.concat([t for _, t in parts], ignore_index=True)
    figures = survival_figures(compare(curves, truth))
    assert figures["partitions_2000_plus"] == 1 and figures["partitions_100_300"] == 1
    assert figures["observed_mae_2000_plus"] == pytest.approx(0.005)
    assert figures["pooled_to_raw_2000_plus"] == pytest.approx(0.5)
    assert figures["pooled_to_raw_100_300"] == pytest.approx(0.5)
    s36, s60 = np.exp(-0.05 * 36), np.exp(-0.05 * 60)
    assert figures["relative_error_s36"] == pytest.approx((0.005 / s36 + 0.03 / s36) / 2)
    assert figures["relative_error_s60"] == pytest.approx((0.005 / s60 + 0.03 / s60) / 2)
    rmst = np.exp(-0.05 * np.arange(60)).sum()
    assert figures["relative_error_rmst60"] == pytest.approx((0.005 + 0.03) * 60 / rmst / 2)
    # The small partition's band misses the truth (shift 0.03 > half-width 0.02).
    assert figures["coverage_observed"] == pytest.approx(0.5)
    assert figures["coverage_beyond_1_12"] == pytest.approx(0.5)
    assert figures["coverage_beyond_25_36"] == pytest.approx(0.5)
    assert figures["coverage_beyond_37_60"] is None  # month 60 is only 30 beyond month 30
    assert figures["partitions_beyond_37_60"] == 0
    young = survival_figures(compare(*_curves_and_truth(2500, 0.005, 12, "P03")))
    assert young["partitions_beyond_37_60"] == 1 and young["coverage_beyond_37_60"] == 1.0
    assert "coverage_rmst60" not in figures


def test_rmst_band_columns_are_found_or_not():
    assert rmst_band_columns(["rmst_60", "rmst_60_lower", "rmst_60_upper"]) == (
        "rmst_60_lower",
        "rmst_60_upper",
    )
    assert rmst_band_columns(["survival_36", "median_lifetime"]) is None
    summary = ["restricted_mean_months_12_lower", "restricted_mean_months_60_lower"]
    summary += ["restricted_mean_months_60", "restricted_mean_months_60_upper"]
    assert rmst_band_columns(summary) == (
        "restricted_mean_months_60_lower",
        "restricted_mean_months_60_upper",
    )


def test_classifier_figures_on_a_hand_made_test_set():
    rng = np.random.default_rng(0)
    n = 4000
    bayes = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < bayes).astype(int)
    deposit = rng.lognormal(4.0, 1.0, n)
    test = pd.DataFrame(
        {
            "y": y,
            "quick_churn_probability": bayes,
            "bayes_p_quick_churn": bayes,
            "ftd_month": pd.to_datetime("2024-01-01")
            + pd.to_timedelta(np.repeat(np.arange(4) * 31, n // 4), unit="D"),
            "decision_deposit": deposit,
            "decision_handle": deposit,
            "decision_ngr": 0.0,
        }
    )
    train = test.rename(columns={"y": "is_quick_churn"})
    figures = classifier_figures(test, train)
    assert figures["auc_ratio"] == pytest.approx(1.0)
    assert 0.85 < figures["calibration_slope"] < 1.15
    assert figures["test_cohorts"] == 4
    assert figures["ece"] < 0.05
    # Money here is noise, so the model beats the money-only logistic by far.
    assert figures["auc_gain_vs_money_logistic"] > 0.15
    constant = test.assign(quick_churn_probability=y.mean())
    flat = classifier_figures(constant, train)
    assert flat["model_auc"] == pytest.approx(0.5)
    newest = test["ftd_month"] == test["ftd_month"].max()
    off = test.assign(quick_churn_probability=np.where(newest, bayes + 0.1, bayes))
    gap, month, _ = worst_cohort(off, "quick_churn_probability")
    assert month == str(test["ftd_month"].max())[:7] and gap > 0.09


def test_the_noise_aware_cohort_check_forgives_sampling_noise_only():
    rng = np.random.default_rng(1)
    n = 2000
    p = np.full(2 * n, 0.7)
    months = pd.to_datetime(np.repeat(["2024-01-01", "2024-02-01"], n))
    y = (rng.random(2 * n) < p).astype(int)
    calibrated = pd.DataFrame({"y": y, "p": p, "ftd_month": months})
    gap, _, _ = worst_cohort(calibrated, "p")
    # A calibrated model misses each cohort's rate by its noise (sd 0.01 here) and no more.
    assert worst_cohort_beyond_noise(calibrated, "p") == 0.0
    assert worst_cohort_beyond_noise(calibrated, "p") <= gap
    # Off by 0.05 in one cohort: the excess over the noise bound stays.
    shifted = calibrated.assign(p=np.where(months == months.max(), 0.75, 0.7))
    bound = 2.241 * np.sqrt(0.75 * 0.25 / n)  # z for 0.025 / 2 cohorts
    observed = y[months == months.max()].mean()
    excess = worst_cohort_beyond_noise(shifted, "p")
    assert excess == pytest.approx(max(abs(0.75 - observed) - bound, 0.0), abs=1e-3)
    assert excess > 0.02


def test_the_ece_noise_floor_is_what_a_calibrated_model_shows_and_shrinks_with_players():
    rng = np.random.default_rng(2)
    small, large = rng.uniform(0.2, 0.9, 1000), rng.uniform(0.2, 0.9, 50000)
    assert ece_noise_floor(small, seed=0) > 2 * ece_noise_floor(large, seed=0) > 0
