"""Tests for churn.survival: likelihood exactness, curve identities, recovery, robust fitting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from churn.survival import (
    MODELS,
    BetaDiscreteWeibull,
    DiscreteLogLogistic,
    DiscreteWeibull,
    ShiftedBetaGeometric,
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
    np.testing.assert_allclose(
        emp, ShiftedBetaGeometric().survival(np.arange(13), PARAMS["sbg"]), atol=0.01
    )
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


@pytest.mark.parametrize("bad", [None, pd.DataFrame({"x": [1]}), "table"])
def test_fitters_never_raise_on_garbage(bad):
    model = ShiftedBetaGeometric().fit(bad)
    assert model.status_.startswith("invalid life table")


def test_events_only_at_month_one_does_not_raise():
    table = pd.DataFrame(
        {"month": [1, 2, 3, 4], "n_at_risk": [100, 60, 60, 60], "n_events": [40, 0, 0, 0]}
    )
    for name in MODELS:
        assert MODELS[name]().fit(table).status_ in ("ok", "did not converge")
    # the degenerate optimum sits on a parameter bound and says so
    assert ShiftedBetaGeometric().fit(table).at_bound_


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_vectorised_survival_equals_one_group_at_a_time(name):
    model = MODELS[name]()
    params = np.array([PARAMS[name], np.array(PARAMS[name]) * 1.5])
    months = np.arange(0, 61, dtype=float)
    together = model.survival(months, params)
    assert together.shape == (2, 61)
    for g in range(2):
        np.testing.assert_allclose(together[g], model.survival(months, params[g]), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_a_subset_of_rows_keeps_each_rows_log_likelihood(name):
    # The optimiser narrows its cells to the rows still moving; a row's value must not change.
    from churn.survival.models import _Cells

    rng = np.random.default_rng(5)
    at_risk = np.where(rng.random((7, 12)) < 0.7, rng.integers(1, 500, (7, 12)), 0).astype(float)
    events = np.floor(at_risk * rng.random((7, 12)) * 0.3)
    model = MODELS[name]()
    params = np.tile(np.array(PARAMS[name], dtype=float), (7, 1)) * rng.uniform(0.5, 2, (7, 1))
    keep = np.array([1, 2, 5, 6])
    subset = _Cells.from_dense(at_risk, events).subset(keep)
    direct = _Cells.from_dense(at_risk[keep], events[keep])
    assert np.array_equal(subset.row, direct.row)
    assert np.array_equal(subset.offsets, direct.offsets)
    np.testing.assert_array_equal(
        subset.log_likelihood(model, params[keep]), direct.log_likelihood(model, params[keep])
    )


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_analytic_derivatives_equal_finite_differences(name):
    # The optimiser's gradient and Hessian are analytic; central differences of the objective
    # (the fitter's former method, O(step^2) on the diagonal, O(step) off it) must agree.
    from churn.survival.models import _Cells, _derivatives, _difference_derivatives

    rng = np.random.default_rng(11)
    at_risk = np.where(rng.random((6, 30)) < 0.8, rng.integers(1, 5000, (6, 30)), 0).astype(float)
    events = np.floor(at_risk * rng.random((6, 30)) * 0.3)
    cells = _Cells.from_dense(at_risk, events)
    scale = 1.0 / at_risk.sum(axis=1)
    x = np.log(np.array(PARAMS[name])) + rng.normal(0.0, 0.5, (6, len(PARAMS[name])))
    if name in ("sbg", "bdw"):
        x[0, :2] = np.log([3e5, 9e5])  # far along the ridge to the homogeneous limit
    value, gradient, hessian = _derivatives(MODELS[name](), x, cells, scale)
    reference = _difference_derivatives(MODELS[name](), x, cells, scale)
    np.testing.assert_array_equal(value, reference[0])
    np.testing.assert_allclose(gradient, reference[1], rtol=0, atol=1e-7)
    np.testing.assert_allclose(hessian, reference[2], rtol=0, atol=5e-4)
    assert np.abs(gradient).max() > 1e-2 and np.abs(hessian).max() > 1e-2


def test_trigamma_equals_scipys_polygamma():
    from churn.survival.models import _trigamma
    from scipy.special import polygamma

    z = np.concatenate([np.logspace(-4, 7, 500), np.linspace(0.5, 30.0, 500)])
    np.testing.assert_allclose(_trigamma(z), polygamma(1, z), rtol=1e-12)
