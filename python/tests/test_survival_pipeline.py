"""The survival stage on hand-made groups: fits and choice, parent fallback, curve assembly
(continuous, monotone, bands around the curve that widen with the horizon and with the
candidates' disagreement), backtest curves."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from churn.survival.curves import CURVE_SCHEMA, Z_95, assemble_curves, backtest_curves
from churn.survival.models import (
    DiscreteWeibull,
    ShiftedBetaGeometric,
    life_table_from_durations,
    simulate_durations,
)
from churn.survival.selection import FITS_SCHEMA, effective_life_tables, fit_tail_models


def life_table_rows(
    n_players: int, seed: int, censor_at: int, offset: int, role: str = "train"
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    durations = simulate_durations(
        ShiftedBetaGeometric(), {"alpha": 0.8, "beta": 2.0}, n_players, rng, censor_at=censor_at
    )
    table = life_table_from_durations(durations)
    hazard = table["n_events"] / table["n_at_risk"]
    return pd.DataFrame(
        {
            "pooling_level": "partition",
            "partner_id": "P1",
            "geo": "NJ",
            "role": role,
            "cutoff_offset_months": offset,
            "month_number": table["month"],
            "n_at_risk": table["n_at_risk"],
            "n_events": table["n_events"],
            "n_censored": 0,
            "pooled_hazard": hazard,
            "pooling_weight": 1.0,
            "prior_strength_months": 0.0,
            "relative_risk_log_variance": 0.0,
            "raw_survival": np.cumprod(1 - hazard),
            "raw_greenwood_sum": np.cumsum(
                table["n_events"] / (table["n_at_risk"] * (table["n_at_risk"] - table["n_events"]))
            ),
            "survival": np.nan,
        }
    )


def group_frame(n_players: int) -> pd.DataFrame:
    current = life_table_rows(n_players, 1, 36, 0)
    at_cutoff = life_table_rows(n_players, 1, 24, 12)
    realised = life_table_rows(n_players, 1, 36, 12, role="holdout")
    realised["survival"] = np.cumprod(1 - realised["n_events"] / realised["n_at_risk"])
    return pd.concat([current, at_cutoff, realised], ignore_index=True)


def test_effective_life_tables_add_the_prior_as_pseudo_players():
    rows = pd.DataFrame(
        {
            "month_number": [1, 2],
            "n_at_risk": [10, 5],
            "n_events": [5, 1],
            "pooled_hazard": [0.4, 0.25],
            "prior_strength_months": [90.0, 15.0],
        }
    )
    table = effective_life_tables(rows)
    assert table["n_effective"].tolist() == [100.0, 20.0]
    assert table["d_effective"].tolist() == pytest.approx([40.0, 5.0])


def test_fit_tail_models_chooses_exactly_one_model_by_backtest():
    fits = fit_tail_models(group_frame(5000))
    assert list(fits.columns) == [c for c, _ in FITS_SCHEMA]
    assert set(fits["model"]) == {"sbg", "bdw", "weibull", "loglogistic"}
    assert fits["is_chosen"].sum() == 1
    chosen = fits[fits["is_chosen"].astype(bool)].iloc[0]
    assert "backtest" in chosen["choice_reason"]
    assert chosen["backtest_mae"] <= fits["backtest_mae"].min() + 1e-4
    assert fits["choice_weight"].sum() == pytest.approx(1.0)
    assert set(json.loads(chosen["cutoff_params"])) == {"12"}


def test_fit_tail_models_with_few_events_falls_back_to_the_parent():
    fits = fit_tail_models(group_frame(20))
    chosen = fits[fits["is_chosen"].astype(bool)]
    assert chosen["model"].tolist() == ["parent"]
    assert "too few events" in chosen["choice_reason"].iloc[0]


def curve_rows(n_months: int, **keys) -> pd.DataFrame:
    months = np.arange(1, n_months + 1)
    at_risk = np.linspace(1000, 300, n_months).round()
    events = np.full(n_months, 30.0)
    rows = pd.DataFrame(
        {
            "month_number": months,
            "n_players": 1000,
            "n_at_risk": at_risk,
            "n_events": events,
            "n_censored": 0,
            "pooled_hazard": events / at_risk,
            "prior_strength_months": 0.0,
            "relative_risk_log_variance": 0.0,
            "raw_survival": np.cumprod(1 - events / at_risk),
            "raw_greenwood_sum": np.cumsum(events / (at_risk * (at_risk - events))),
            "pooling_weight": 1.0,
        }
    )
    defaults = {
        "pooling_level": "partition",
        "partner_id": "P1",
        "geo": "NJ",
        "segment_type": "all",
        "segment_value": "_all",
    }
    return rows.assign(**{**defaults, **keys})


def fit_row(model: str, params: dict, chosen: bool, weight: float = 0.0, cov=None, **keys) -> dict:
    defaults = {"pooling_level": "partition", "partner_id": "P1", "geo": "NJ"}
    return {
        **defaults,
        **keys,
        "model": model,
        "status": "ok",
        "params": json.dumps(params),
        "param_covariance": json.dumps(cov),
        "cutoff_params": "{}",
        "choice_weight": weight,
        "is_chosen": chosen,
    }


SBG = {"alpha": 1.0, "beta": 30.0}


def test_assembled_curve_is_continuous_monotone_and_inside_its_bands():
    fits = pd.DataFrame([fit_row("sbg", SBG, True, 1.0, [[0.01, 0.0], [0.0, 0.01]])])
    curve = assemble_curves(curve_rows(24), fits)
    assert list(curve.columns) == [c for c, _ in CURVE_SCHEMA]
    model = ShiftedBetaGeometric.with_params(SBG)
    assert len(curve) == 61 and curve["survival"].iloc[0] == 1.0
    assert (np.diff(curve["survival"]) <= 1e-12).all()
    assert curve["is_extrapolated"].tolist() == [False] * 25 + [True] * 36
    s24, s25 = curve["survival"].iloc[24], curve["survival"].iloc[25]
    assert s25 == pytest.approx(s24 * float(model.survival(25.0) / model.survival(24.0)))
    assert (curve["survival_lower"] <= curve["survival"] + 1e-12).all()
    assert (curve["survival"] <= curve["survival_upper"] + 1e-12).all()
    assert curve.loc[curve["is_extrapolated"], "method"].eq("sbg").all()


def log_sd(curve: pd.DataFrame) -> np.ndarray:
    """The standard error of log S a log-log band stands for: log-log width x |log S| / 2z."""
    with np.errstate(divide="ignore"):
        width = np.log(-np.log(curve["survival_lower"])) - np.log(-np.log(curve["survival_upper"]))
    return (width * -np.log(curve["survival"]) / (2 * Z_95)).to_numpy()


def test_tail_bands_carry_parameter_choice_and_backtest_uncertainty():
    rows = curve_rows(24)
    none = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 1.0, None)]))
    cov = [[0.05, 0.0], [0.0, 0.05]]
    params = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 1.0, cov)]))
    weibull = {"lam": 60.0, "k": 0.8}
    choice = assemble_curves(
        rows,
        pd.DataFrame(
            [fit_row("sbg", SBG, True, 0.5, None), fit_row("weibull", weibull, False, 0.5)]
        ),
    )
    drifting = assemble_curves(
        rows,
        pd.DataFrame([{**fit_row("sbg", SBG, True, 1.0, None), "backtest_log_error_rate": 1e-3}]),
    )
    tail = none["is_extrapolated"].to_numpy()
    months = np.arange(25, 61)
    anchor_sd = log_sd(none)[24]
    # Without parameter uncertainty the tail keeps the error of log S it had at month M;
    # parameter uncertainty adds more with every month.
    np.testing.assert_allclose(log_sd(none)[tail], anchor_sd, rtol=1e-9)
    assert (np.diff(log_sd(params)[tail]) > 0).all()
    # Two candidates weighted 1/2 each: the served tail is the mean of their log tails, and the
    # band adds their mean squared log distance from it, a quarter of the one between them.
    sbg = np.log(
        ShiftedBetaGeometric().survival(months, SBG) / ShiftedBetaGeometric().survival(24, SBG)
    )
    weib = DiscreteWeibull()
    other = np.log(weib.survival(months, weibull) / weib.survival(24, weibull))
    np.testing.assert_allclose(
        log_sd(choice)[tail] ** 2 - anchor_sd**2, 0.25 * (other - sbg) ** 2, rtol=1e-6, atol=1e-12
    )
    anchor = choice["survival"].iloc[24]
    np.testing.assert_allclose(
        choice["survival"][tail], anchor * np.exp(0.5 * (sbg + other)), rtol=1e-12
    )
    # The backtest's extrapolation error adds its rate times the squared months beyond the data.
    np.testing.assert_allclose(
        log_sd(drifting)[tail] ** 2 - anchor_sd**2, 1e-3 * (months - 24) ** 2, rtol=1e-6
    )
    # Both: the backtest of the served tail measured its miss as far as it reached (12 months
    # here); the candidates' spread adds only what it grows by beyond that reach.
    choice_spread = 0.25 * (other - sbg) ** 2
    floor = 0.01
    served = {
        **fit_row("sbg", SBG, True, 0.5, None),
        "backtest_log_error_rate": 0.0,
        "backtest_log_error_floor": floor,
        "cutoff_params": json.dumps({"12": SBG}),
    }
    both = assemble_curves(rows, pd.DataFrame([served, fit_row("weibull", weibull, False, 0.5)]))
    h = months - 24
    unseen = np.where(h > 12, np.maximum(choice_spread - choice_spread[11], 0.0), 0.0)
    assert (unseen > 0).any()
    np.testing.assert_allclose(
        log_sd(both)[tail] ** 2 - anchor_sd**2, floor + unseen, rtol=1e-6, atol=1e-12
    )
    # One candidate: the served tail is its own.
    np.testing.assert_array_equal(none["survival"], params["survival"])


def test_extrapolation_error_grows_like_h_squared_as_far_as_the_backtest_reached_then_linearly():
    rows = curve_rows(24)
    none = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 1.0, None)]))
    reached = {
        **fit_row("sbg", SBG, True, 1.0, None),
        "backtest_log_error_rate": 1e-3,
        "cutoff_params": json.dumps({"12": SBG}),
    }
    curve = assemble_curves(rows, pd.DataFrame([reached]))
    tail = curve["is_extrapolated"].to_numpy()
    h = np.arange(25, 61) - 24
    added = log_sd(curve)[tail] ** 2 - log_sd(none)[24] ** 2
    np.testing.assert_allclose(added, 1e-3 * h * np.minimum(h, 12), rtol=1e-6)


def test_a_partition_keeps_its_own_served_backtest_error_or_takes_its_parents_if_it_has_none():
    hazards = pd.concat(
        [curve_rows(24), curve_rows(24, pooling_level="partner", geo="_all")], ignore_index=True
    )
    none = assemble_curves(curve_rows(24), pd.DataFrame([fit_row("sbg", SBG, True, 1.0, None)]))
    anchor_var = log_sd(none)[24] ** 2
    h = np.arange(25, 61) - 24

    def added_variance(own_rate: float | None, parent_rate: float) -> np.ndarray:
        own = {
            **fit_row("sbg", SBG, True, 1.0, None),
            "backtest_log_error_rate": 0.5,  # the candidate's own: not the served tail's
            "served_log_error_rate": own_rate,
        }
        parent = {
            **fit_row("sbg", SBG, True, 1.0, None, pooling_level="partner", geo="_all"),
            "served_log_error_rate": parent_rate,
        }
        curves = assemble_curves(hazards, pd.DataFrame([own, parent]))
        partition = curves[curves["pooling_level"] == "partition"].reset_index(drop=True)
        return log_sd(partition)[partition["is_extrapolated"].to_numpy()] ** 2 - anchor_var

    # Its own served tail's error, above or below the parent's, even zero.
    for own_rate in (5e-3, 2e-4, 0.0):
        np.testing.assert_allclose(
            added_variance(own_rate, 1e-3), own_rate * h**2, rtol=1e-6, atol=1e-12
        )
    # Too young for a backtest of its own (no served error, and no candidate error either):
    # the parent's, not none at all.
    young = {**fit_row("sbg", SBG, True, 1.0, None), "served_log_error_rate": None}
    parent = {
        **fit_row("sbg", SBG, True, 1.0, None, pooling_level="partner", geo="_all"),
        "served_log_error_rate": 1e-3,
    }
    curves = assemble_curves(hazards, pd.DataFrame([young, parent]))
    partition = curves[curves["pooling_level"] == "partition"].reset_index(drop=True)
    added = log_sd(partition)[partition["is_extrapolated"].to_numpy()] ** 2 - anchor_var
    np.testing.assert_allclose(added, 1e-3 * h**2, rtol=1e-6)
    # The parent's backtest never looked at the young group's tail: the candidates' spread
    # around its served tail counts in full on top of the parent's error.
    weibull = {"lam": 60.0, "k": 0.8}
    young_pair = [
        {**fit_row("sbg", SBG, True, 0.5, None), "served_log_error_rate": None},
        fit_row("weibull", weibull, False, 0.5),
    ]
    pair = assemble_curves(hazards, pd.DataFrame([*young_pair, parent]))
    partition = pair[pair["pooling_level"] == "partition"].reset_index(drop=True)
    months = np.arange(25, 61)
    sbg = np.log(
        ShiftedBetaGeometric().survival(months, SBG) / ShiftedBetaGeometric().survival(24, SBG)
    )
    other = np.log(
        DiscreteWeibull().survival(months, weibull) / DiscreteWeibull().survival(24, weibull)
    )
    added = log_sd(partition)[partition["is_extrapolated"].to_numpy()] ** 2 - anchor_var
    np.testing.assert_allclose(added, 1e-3 * h**2 + 0.25 * (other - sbg) ** 2, rtol=1e-6)


def test_a_weighted_candidate_without_a_tail_drops_out_of_the_band_as_out_of_the_curve():
    """One mask for the served tail and its band: a candidate that has a weight but no usable
    parameters leaves the others' weights renormalised in both."""
    rows = curve_rows(24)
    cov = [[0.05, 0.0], [0.0, 0.05]]
    alone = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 1.0, cov)]))
    broken = fit_row("weibull", {"lam": None, "k": 0.8}, False, 0.5)
    with_broken = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 0.5, cov), broken]))
    np.testing.assert_allclose(with_broken["survival"], alone["survival"], rtol=1e-12)
    np.testing.assert_allclose(log_sd(with_broken), log_sd(alone), rtol=1e-9)


def test_a_group_without_a_model_uses_its_parents_tail():
    hazards = pd.concat(
        [curve_rows(12), curve_rows(12, pooling_level="partner", geo="_all")], ignore_index=True
    )
    fits = pd.DataFrame(
        [
            {**fit_row("parent", {}, True), "params": None},
            fit_row("sbg", SBG, True, 1.0, None, pooling_level="partner", geo="_all"),
        ]
    )
    curves = assemble_curves(hazards, fits)
    partition_tail = curves[(curves["pooling_level"] == "partition") & curves["is_extrapolated"]]
    assert partition_tail["method"].eq("sbg (parent tail)").all()
    assert partition_tail["survival"].notna().all()


def test_backtest_curves_compare_prediction_and_realisation():
    frame = group_frame(5000)
    fits = fit_tail_models(frame)
    backtest = backtest_curves(frame, fits)
    assert backtest["cutoff_offset_months"].unique().tolist() == [12]
    assert (
        backtest["month_number"].max()
        == frame.loc[frame["role"] == "holdout", "month_number"].max()
    )
    observed = backtest[~backtest["is_extrapolated"]]
    assert observed["month_number"].max() == 24
    tail = backtest[backtest["is_extrapolated"]]
    assert (tail["predicted_survival"] - tail["realised_survival"]).abs().max() < 0.03


def test_the_backtest_floor_adds_a_constant_from_the_first_month_beyond_the_data():
    rows = curve_rows(24)
    none = assemble_curves(rows, pd.DataFrame([fit_row("sbg", SBG, True, 1.0, None)]))
    floored = {
        **fit_row("sbg", SBG, True, 1.0, None),
        "backtest_log_error_rate": 1e-3,
        "backtest_log_error_floor": 0.02,
    }
    curve = assemble_curves(rows, pd.DataFrame([floored]))
    tail = curve["is_extrapolated"].to_numpy()
    h = np.arange(25, 61) - 24
    added = log_sd(curve)[tail] ** 2 - log_sd(none)[24] ** 2
    np.testing.assert_allclose(added, 0.02 + 1e-3 * h**2, rtol=1e-6)
    # The observed months keep their band.
    np.testing.assert_allclose(log_sd(curve)[~tail], log_sd(none)[~tail])
