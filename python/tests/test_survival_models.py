"""Tests for churn.survival: likelihood exactness, curve identities, recovery, robust fitting."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from churn.survival import (
    BACKTEST_SCHEMA,
    CANDIDATE_SCHEMA,
    EXTRAPOLATION_SCHEMA,
    MODELS,
    TOO_FEW_EVENTS,
    BetaDiscreteWeibull,
    DiscreteLogLogistic,
    DiscreteWeibull,
    ShiftedBetaGeometric,
    backtest,
    choose_model,
    extrapolate,
    fit_candidates,
    fitted_model,
    life_table_from_durations,
    simulate_durations,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import beta as beta_dist

PARAMS = {
    "sbg": (0.8, 2.5),
    "bdw": (1.2, 3.0, 0.7),
    "weibull": (4.0, 0.8),
    "loglogistic": (3.0, 1.3),
}

# (entry, duration, event): entry e = known alive through month e when first observed;
# event -> churned at month `duration`; censored -> known alive through month `duration`.
COHORT = [
    (0, 1, True),
    (0, 3, True),
    (0, 5, False),
    (2, 4, True),
    (1, 6, False),
    (0, 2, True),
    (3, 7, True),
    (2, 3, False),
    (5, 9, False),
]


def _hand_life_table(cohort: list[tuple[int, int, bool]]) -> pd.DataFrame:
    """Life table by explicit loops: at risk in month t iff entry < t <= duration."""
    max_month = max(d for _, d, _ in cohort)
    rows = []
    for t in range(1, max_month + 1):
        n = sum(1 for e, d, _ in cohort if e < t <= d)
        k = sum(1 for _, d, ev in cohort if ev and d == t)
        rows.append({"month": t, "n_at_risk": n, "n_events": k})
    return pd.DataFrame(rows)


def _individual_ll(model, params, cohort) -> float:
    """Sum of per-player log P(T=t)/S(e) (events) and log S(c)/S(e) (censored)."""
    total = 0.0
    for e, d, ev in cohort:
        s_e = model.survival(e, params)
        if ev:
            total += np.log((model.survival(d - 1, params) - model.survival(d, params)) / s_e)
        else:
            total += np.log(model.survival(d, params) / s_e)
    return float(total)


def _km(life_table: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier curve (month 0..M) from a life table."""
    s = np.cumprod(1.0 - life_table["n_events"] / life_table["n_at_risk"])
    return pd.DataFrame(
        {"month": np.r_[0, life_table["month"].to_numpy()], "survival": np.r_[1.0, s]}
    )


def _assert_schema(frame: pd.DataFrame, schema: dict[str, str]) -> None:
    assert list(frame.columns) == list(schema)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema


# ---- likelihood --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_log_likelihood_matches_individual_computation(name):
    model = MODELS[name]()
    lt = _hand_life_table(COHORT)
    pd.testing.assert_frame_equal(
        life_table_from_durations(pd.DataFrame(COHORT, columns=["entry", "duration", "event"])),
        lt.astype("int64"),
    )
    for scale in (1.0, 0.5, 2.0):
        params = np.array(PARAMS[name]) * scale
        expected = _individual_ll(model, params, COHORT)
        assert model.log_likelihood(lt, params) == pytest.approx(expected, abs=1e-9, rel=1e-12)


def test_log_likelihood_uses_fitted_params_and_aic():
    lt = _hand_life_table(COHORT)
    model = ShiftedBetaGeometric().fit(lt)
    assert model.status_ == "ok"
    assert model.log_likelihood(lt) == pytest.approx(model.log_likelihood_, abs=1e-12)
    assert model.aic_ == pytest.approx(2 * 2 - 2 * model.log_likelihood_)
    # the MLE is at least as good as the true-ish starting parameters
    assert model.log_likelihood_ >= model.log_likelihood(lt, PARAMS["sbg"]) - 1e-9


# ---- survival curves ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_survival_basic_properties_and_hazard_product(name):
    model = MODELS[name]()
    months = np.arange(0, 121)
    s = model.survival(months, PARAMS[name])
    assert s[0] == 1.0
    assert np.all(np.diff(s) <= 0) and np.all(s > 0) and np.all(s <= 1)
    h = model.hazard(months[1:], PARAMS[name])
    assert np.all((h > 0) & (h < 1))
    np.testing.assert_allclose(np.cumprod(1 - h), s[1:], rtol=1e-10)


def test_sbg_equals_bdw_with_c_one_and_closed_forms():
    a, b = PARAMS["sbg"]
    t = np.arange(0, 200)
    sbg, bdw = ShiftedBetaGeometric(), BetaDiscreteWeibull()
    np.testing.assert_allclose(sbg.survival(t, (a, b)), bdw.survival(t, (a, b, 1.0)), rtol=1e-12)
    np.testing.assert_allclose(sbg.hazard(t[1:], (a, b)), bdw.hazard(t[1:], (a, b, 1.0)), rtol=1e-9)
    # sBG: S(t) = prod_{s<=t} (1 - alpha / (alpha + beta + s - 1))
    closed_h = a / (a + b + t[1:] - 1)
    np.testing.assert_allclose(sbg.survival(t[1:], (a, b)), np.cumprod(1 - closed_h), rtol=1e-10)


def test_bdw_matches_beta_mixture_integral():
    a, b, c = PARAMS["bdw"]
    model = BetaDiscreteWeibull()
    for t in (1, 2, 5, 13, 40):
        integral, _ = quad(lambda th, t=t: (1 - th) ** (t**c) * beta_dist.pdf(th, a, b), 0, 1)
        assert model.survival(t, (a, b, c)) == pytest.approx(integral, rel=1e-7)


def test_weibull_and_loglogistic_closed_forms():
    t = np.arange(0, 80)
    lam, k = PARAMS["weibull"]
    np.testing.assert_allclose(DiscreteWeibull().survival(t, (lam, k)), np.exp(-((t / lam) ** k)))
    lam, k = PARAMS["loglogistic"]
    np.testing.assert_allclose(
        DiscreteLogLogistic().survival(t, {"lam": lam, "k": k}), 1 / (1 + (t / lam) ** k)
    )


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(PARAMS)),
    logs=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
)
def test_survival_monotone_for_random_params(name, logs):
    model = MODELS[name]()
    params = np.exp(np.array(logs[: model.n_params]))
    s = model.survival(np.arange(0, 100), params)
    assert s[0] == 1.0
    assert np.all(np.diff(s) <= 1e-15) and np.all((s >= 0) & (s <= 1))


def test_predict_survival_and_restricted_mean():
    model = ShiftedBetaGeometric.with_params(PARAMS["sbg"])
    curve = model.predict_survival(24)
    assert list(curve.index) == list(range(25)) and curve.iloc[0] == 1.0
    assert model.restricted_mean(24) == pytest.approx(curve.iloc[:24].sum())
    assert model.restricted_mean(1) == 1.0 and model.restricted_mean(0) == 0.0


# ---- simulation and recovery -------------------------------------------------------------------


def test_simulation_matches_survival_and_respects_entry():
    rng = np.random.default_rng(7)
    sim = simulate_durations("sbg", PARAMS["sbg"], 20_000, rng)
    emp = [(sim["true_duration"] > m).mean() for m in range(13)]
    np.testing.assert_allclose(emp, ShiftedBetaGeometric().survival(np.arange(13), PARAMS["sbg"]),
                               atol=0.01)
    entry = rng.integers(0, 10, 5_000)
    late = simulate_durations("bdw", PARAMS["bdw"], 5_000, rng, censor_at=entry + 12, entry=entry)
    assert (late["true_duration"] > late["entry"]).all()
    assert (late["duration"] <= late["entry"] + 12).all()
    assert (late.loc[~late["event"], "duration"] == late.loc[~late["event"], "entry"] + 12).all()


def test_recovery_sbg():
    # 200-replicate Monte Carlo at this n: sd of relative error ~1.5% (alpha), ~2.5% (beta),
    # sd of S(60) error ~0.002, so 10% and 0.01 are > 4 sd.
    true = PARAMS["sbg"]
    sim = simulate_durations("sbg", true, 20_000, np.random.default_rng(2024), censor_at=36)
    model = ShiftedBetaGeometric().fit(life_table_from_durations(sim))
    assert model.status_ == "ok" and not model.at_bound_
    np.testing.assert_allclose([model.params_["alpha"], model.params_["beta"]], true, rtol=0.10)
    s60 = ShiftedBetaGeometric().survival(60, true)
    assert abs(model.survival(60) - s60) < 0.01


def test_recovery_bdw():
    # alpha and beta of BdW are strongly correlated: Monte Carlo sd of relative error ~6.5% at
    # this n (c: ~2%), so the honest tolerance is 25% for alpha/beta and 10% for c.
    true = PARAMS["bdw"]
    sim = simulate_durations("bdw", true, 20_000, np.random.default_rng(2025), censor_at=36)
    model = BetaDiscreteWeibull().fit(life_table_from_durations(sim))
    assert model.status_ == "ok" and not model.at_bound_
    p = model.params_
    np.testing.assert_allclose([p["alpha"], p["beta"]], true[:2], rtol=0.25)
    assert p["c"] == pytest.approx(true[2], rel=0.10)
    assert abs(model.survival(60) - BetaDiscreteWeibull().survival(60, true)) < 0.01


def test_recovery_with_late_entry():
    # late entry (left truncation) handled by the life table: sBG still recovered.
    # Monte Carlo sd of relative error at this design: ~1.6% (alpha), ~4.9% (beta).
    rng = np.random.default_rng(99)
    entry = rng.integers(0, 12, 20_000)
    sim = simulate_durations("sbg", PARAMS["sbg"], 20_000, rng, censor_at=entry + 24, entry=entry)
    model = ShiftedBetaGeometric().fit(life_table_from_durations(sim))
    assert model.status_ == "ok"
    assert model.params_["alpha"] == pytest.approx(PARAMS["sbg"][0], rel=0.10)
    assert model.params_["beta"] == pytest.approx(PARAMS["sbg"][1], rel=0.20)


# ---- robustness of fitters ---------------------------------------------------------------------

BAD_TABLES = {
    "no data": pd.DataFrame({"month": [], "n_at_risk": [], "n_events": []}),
    "no events": pd.DataFrame({"month": [1, 2, 3], "n_at_risk": [10, 10, 10], "n_events": [0] * 3}),
    "no survivors": pd.DataFrame({"month": [1], "n_at_risk": [25], "n_events": [25]}),
    "invalid life table": pd.DataFrame({"month": [0, 1], "n_at_risk": [5, 5], "n_events": [1, 9]}),
}


@pytest.mark.parametrize("expected", sorted(BAD_TABLES))
def test_fitters_return_status_for_bad_tables(expected):
    table = BAD_TABLES[expected]
    for name in MODELS:
        model = MODELS[name]().fit(table)
        assert model.status_.startswith(expected)
        assert np.isnan(model.aic_)
        assert np.isnan(model.predict_survival(5).iloc[1:]).all()
    cands = fit_candidates(table)
    _assert_schema(cands, CANDIDATE_SCHEMA)
    assert cands["status"].str.startswith(expected).all()
    assert choose_model(cands, None) == {"model": None, "reason": TOO_FEW_EVENTS}
    bt = backtest(table, pd.DataFrame({"month": [1, 2], "survival": [0.5, 0.4]}))
    _assert_schema(bt, BACKTEST_SCHEMA)
    assert (bt["n_scored_months"] == 0).all()


@pytest.mark.parametrize("bad", [None, pd.DataFrame({"x": [1]}), "table"])
def test_fitters_never_raise_on_garbage(bad):
    cands = fit_candidates(bad, models=("sbg", "nope"))
    _assert_schema(cands, CANDIDATE_SCHEMA)
    assert cands["status"].iloc[0].startswith("invalid life table")
    assert cands["status"].iloc[1].startswith("unknown model")
    _assert_schema(backtest(bad, bad), BACKTEST_SCHEMA)


def test_events_only_at_month_one_does_not_raise():
    table = pd.DataFrame({"month": [1, 2, 3, 4], "n_at_risk": [100, 60, 60, 60],
                          "n_events": [40, 0, 0, 0]})
    cands = fit_candidates(table)
    _assert_schema(cands, CANDIDATE_SCHEMA)
    assert cands["status"].isin(["ok", "did not converge"]).all()
    # the degenerate optimum sits on a parameter bound and says so
    assert cands.loc[cands["model"] == "sbg", "at_bound"].item()


# ---- fit_candidates / backtest / choose_model / extrapolate ------------------------------------


@pytest.fixture(scope="module")
def cohort_tables():
    """One simulated BdW cohort observed to month 18 (train) and to month 48 (holdout)."""
    true = simulate_durations("bdw", PARAMS["bdw"], 8_000, np.random.default_rng(11))
    as_of = {}
    for end in (18, 48):
        obs = true.assign(
            event=true["true_duration"] <= end,
            duration=np.minimum(true["true_duration"], end),
        )
        as_of[end] = life_table_from_durations(obs)
    return as_of[18], as_of[48]


def test_fit_candidates_schema_and_content(cohort_tables):
    train, _ = cohort_tables
    cands = fit_candidates(train)
    _assert_schema(cands, CANDIDATE_SCHEMA)
    assert list(cands["model"]) == ["sbg", "bdw", "weibull", "loglogistic"]
    assert (cands["status"] == "ok").all()
    assert (cands["n_events"] == train["n_events"].sum()).all()
    assert (cands["max_month"] == 18).all()
    bdw = cands.set_index("model").loc["bdw"]
    assert json.loads(bdw["params"]) == {"alpha": bdw["param_1"], "beta": bdw["param_2"],
                                         "c": bdw["param_3"]}
    # BdW nests sBG: its likelihood can only be higher
    assert bdw["log_likelihood"] >= cands.set_index("model").loc["sbg", "log_likelihood"] - 1e-6
    rebuilt = fitted_model(cands, "bdw")
    assert rebuilt.params_ == {"alpha": bdw["param_1"], "beta": bdw["param_2"], "c": bdw["param_3"]}


def test_backtest_and_choose_model(cohort_tables):
    train, full = cohort_tables
    bt = backtest(train, _km(full))
    _assert_schema(bt, BACKTEST_SCHEMA)
    assert (bt["status"] == "ok").all()
    assert (bt["n_scored_months"] == 30).all() and (bt["train_max_month"] == 18).all()
    mae = bt.set_index("model")["backtest_mae"]
    assert mae["bdw"] < 0.02 and mae["bdw"] < mae["weibull"]
    cands = fit_candidates(train)
    choice = choose_model(cands, bt)
    assert choice["model"] == mae.idxmin() and "backtest MAE" in choice["reason"]

    # no months beyond the train data: fall back to mixture models by AIC
    no_months = backtest(train, _km(train))
    assert (no_months["n_scored_months"] == 0).all()
    fallback = choose_model(cands, no_months)
    mix = cands[cands["model"].isin(["sbg", "bdw"])]
    assert fallback["model"] == mix.loc[mix["aic"].idxmin(), "model"]
    assert "mixture" in fallback["reason"]

    too_few = choose_model(cands, bt, min_events=10**9)
    assert too_few == {"model": None, "reason": TOO_FEW_EVENTS}

    # empty or object-typed backtest frames (e.g. built by a caller) fall back, never raise
    empty = pd.DataFrame(columns=["model", "status", "backtest_mae", "n_scored_months"])
    assert choose_model(cands, empty) == fallback
    assert choose_model(cands, bt.astype(object))["model"] == choice["model"]
    assert choose_model(cands.drop(columns=["status"]), bt)["model"] is None


def test_extrapolate_keeps_observed_and_is_monotone_and_continuous(cohort_tables):
    train, _ = cohort_tables
    km = _km(train)
    observed = pd.Series(km["survival"].to_numpy(), index=km["month"].to_numpy())
    model = BetaDiscreteWeibull().fit(train)
    out = extrapolate(observed, model, max_month=60)
    _assert_schema(out, EXTRAPOLATION_SCHEMA)
    assert list(out["month"]) == list(range(61))
    head = out[out["month"] <= 18]
    np.testing.assert_array_equal(head["survival"].to_numpy(), observed.to_numpy())
    assert not head["is_extrapolated"].any() and (head["method"] == "observed").all()
    tail = out[out["month"] > 18]
    assert tail["is_extrapolated"].all() and (tail["method"] == "bdw").all()
    s = out["survival"].to_numpy()
    assert np.all(np.diff(s) <= 0) and np.isfinite(s).all()
    # continuity at M: the first extrapolated step applies the model's own hazard at M+1
    assert s[19] == pytest.approx(s[18] * (1 - model.hazard(19)), rel=1e-10)
    assert s[18] - s[19] < 0.02


def test_extrapolate_edge_cases():
    model = ShiftedBetaGeometric.with_params(PARAMS["sbg"])
    # empty observed curve: pure model curve
    out = extrapolate(pd.Series(dtype=float), model, max_month=12)
    np.testing.assert_allclose(out["survival"], model.survival(np.arange(13)))
    # noisy non-monotone input is made monotone; gaps carried forward
    noisy = pd.Series([1.0, 0.7, 0.72, 0.5], index=[0, 1, 2, 4])
    out = extrapolate(noisy, model, max_month=8)
    assert np.all(np.diff(out["survival"]) <= 0)
    assert out.loc[3, "survival"] == 0.7
    # no usable model: NaN beyond the data, marked 'none'
    out = extrapolate(noisy, None, max_month=8)
    _assert_schema(out, EXTRAPOLATION_SCHEMA)
    assert out.loc[out["month"] > 4, "survival"].isna().all()
    assert (out.loc[out["month"] > 4, "method"] == "none").all()
    # observed longer than max_month: truncated, nothing extrapolated
    out = extrapolate(noisy, model, max_month=2)
    assert len(out) == 3 and not out["is_extrapolated"].any()
