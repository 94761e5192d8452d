"""The batched tail-model fitter and the choice: optimum at least as good as per-group scipy
fits on the sample, group-purity, status rows for bad groups, near-ties that noise cannot flip,
a backtest that reuses the cutoff fits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from churn.survival import models as models_module
from churn.survival import selection as selection_module
from churn.survival.curves import anchored_tail, backtest_curves
from churn.survival.models import MODELS, BetaDiscreteWeibull, fit_life_tables
from churn.survival.selection import (
    MAE_TIE,
    choose_model,
    effective_life_tables,
    fit_candidates,
    fit_tail_models,
    log_error_model,
    realised_log_noise,
)
from scipy.optimize import minimize
from test_survival_pipeline import group_frame


def scipy_fit(name: str, at_risk: np.ndarray, events: np.ndarray) -> float:
    """The per-group reference: bounded L-BFGS-B on the log-parameters from every start point
    of the model (as the project fitted before the batched optimiser); best log-likelihood."""
    model = MODELS[name]()
    months = np.arange(1.0, at_risk.size + 1)
    lo, hi = model.log_bounds()
    scale = 1.0 / at_risk.sum()

    def objective(x: np.ndarray) -> float:
        ll = model.log_likelihood_arrays(months, at_risk[None], events[None], np.exp(x)[None])[0]
        return -ll * scale if np.isfinite(ll) else 1e6

    crude = np.clip(events.sum() / at_risk.sum(), 1e-4, 1 - 1e-4)
    best = -np.inf
    for start in model._start_points(np.array([crude]))[0]:
        x0 = np.clip(np.log(start), lo + 1e-6, hi - 1e-6)
        run = minimize(
            objective,
            x0,
            method="L-BFGS-B",
            bounds=list(zip(lo, hi, strict=True)),
            options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8},
        )
        best = max(best, -run.fun / scale)
    return best


@pytest.fixture(scope="module")
def sample_life_tables(sample_build) -> tuple[np.ndarray, np.ndarray]:
    """The pooled life tables of every sample group at the export (rows x months)."""
    rows = sample_build.frame("""
        select * from intermediate.int_survival__fit_inputs
        where role = 'train' and cutoff_offset_months = 0""")
    rows = effective_life_tables(rows)
    keys = rows[["pooling_level", "partner_id", "geo"]].astype(str).agg("|".join, axis=1)
    index, _ = pd.factorize(keys, sort=True)
    width = int(rows["month_number"].max())
    at_risk = np.zeros((index.max() + 1, width))
    events = np.zeros_like(at_risk)
    months = rows["month_number"].to_numpy(int) - 1
    np.add.at(at_risk, (index, months), rows["n_effective"].to_numpy(float))
    np.add.at(events, (index, months), rows["d_effective"].to_numpy(float))
    return at_risk, events


def test_batched_fits_reach_the_per_group_scipy_optimum_on_the_sample(sample_life_tables):
    at_risk, events = sample_life_tables
    fits = fit_candidates(at_risk, events)
    for name, fit in fits.items():
        assert (fit.status == "ok").all(), name
        reference = np.array([scipy_fit(name, at_risk[g], events[g]) for g in range(len(at_risk))])
        shortfall = reference - fit.log_likelihood
        assert shortfall.max() <= 1e-6, (name, shortfall.max())


def test_bdw_is_never_worse_than_the_sbg_it_nests(sample_life_tables):
    at_risk, events = sample_life_tables
    fits = fit_candidates(at_risk, events)
    assert (fits["bdw"].log_likelihood >= fits["sbg"].log_likelihood - 1e-9).all()


def test_a_groups_fit_does_not_depend_on_the_batch(sample_life_tables):
    at_risk, events = sample_life_tables
    model = MODELS["bdw"]()
    together = fit_life_tables(model, at_risk, events)
    reversed_order = fit_life_tables(model, at_risk[::-1], events[::-1])
    np.testing.assert_array_equal(together.params, reversed_order.params[::-1])
    for g in (0, len(at_risk) // 2, len(at_risk) - 1):
        alone = fit_life_tables(model, at_risk[g : g + 1], events[g : g + 1])
        np.testing.assert_array_equal(alone.params[0], together.params[g])
        np.testing.assert_array_equal(alone.log_likelihood[0], together.log_likelihood[g])


def test_bad_groups_get_a_status_and_leave_the_others_alone():
    good = group_frame(3000)
    bad = group_frame(3000).assign(geo="PA")
    bad.loc[bad["role"] == "train", "pooled_hazard"] = -0.5  # negative events
    empty = group_frame(3000).assign(geo="NY")
    empty.loc[empty["role"] == "train", "n_events"] = 0
    empty.loc[empty["role"] == "train", "pooled_hazard"] = 0.0
    both = fit_tail_models(pd.concat([good, bad, empty], ignore_index=True))
    alone = fit_tail_models(good)
    pa = both[both["geo"] == "PA"]
    assert pa.loc[pa["model"] != "parent", "status"].str.startswith("invalid life table").all()
    assert pa.loc[pa["is_chosen"].astype(bool), "model"].tolist() == ["parent"]
    ny = both[both["geo"] == "NY"]
    assert ny.loc[ny["model"] != "parent", "status"].eq("no events").all()
    nj = both[both["geo"] == "NJ"].reset_index(drop=True)
    pd.testing.assert_frame_equal(nj, alone.reset_index(drop=True))


def candidates(maes: dict[str, float]) -> pd.DataFrame:
    n_params = {"sbg": 2, "weibull": 2, "loglogistic": 2, "bdw": 3}
    return pd.DataFrame(
        {
            "model": list(maes),
            "status": "ok",
            "aic": 100.0,
            "n_params": [n_params[m] for m in maes],
            "n_events": 500,
            "backtest_mae": list(maes.values()),
            "n_backtest_months": 24,
        }
    )


def test_near_ties_go_to_the_simpler_model_whatever_the_noise():
    base = {"bdw": 0.0046275068, "weibull": 0.0046275308, "sbg": 0.0100, "loglogistic": 0.0200}
    assert choose_model(candidates(base), 30)[0] == "weibull"
    for noise in (-3e-8, 1e-12, 3e-8):
        flipped = {**base, "weibull": base["bdw"] + noise}
        assert choose_model(candidates(flipped), 30)[0] == "weibull"
    # Beyond the tie tolerance the better backtest wins, even with more parameters.
    clear = {**base, "weibull": base["bdw"] + 2 * MAE_TIE}
    assert choose_model(candidates(clear), 30)[0] == "bdw"
    # Two-parameter ties follow the fixed order sbg, weibull, loglogistic.
    tied = {"loglogistic": 0.004, "weibull": 0.004 + MAE_TIE / 2, "sbg": 0.004 + MAE_TIE / 3}
    assert choose_model(candidates(tied), 30)[0] == "sbg"


def test_too_few_events_or_no_fit_use_the_parent():
    table = candidates({"sbg": 0.01})
    assert choose_model(table, 10**6)[0] is None
    assert choose_model(table.assign(status="did not converge"), 30)[0] is None


def test_the_backtest_reuses_the_cutoff_fits_without_refitting(monkeypatch):
    frame = group_frame(5000)
    fits = fit_tail_models(frame)

    def no_refit(*args, **kwargs):
        raise AssertionError("the backtest must not refit")

    monkeypatch.setattr(models_module, "fit_life_tables", no_refit)
    monkeypatch.setattr(selection_module, "fit_life_tables", no_refit)
    monkeypatch.setattr(models_module.DiscreteSurvivalModel, "fit", no_refit)
    backtest = backtest_curves(frame, fits)
    chosen = fits[fits["is_chosen"].astype(bool)].iloc[0]
    tail = backtest[backtest["is_extrapolated"]]
    last = int(backtest.loc[~backtest["is_extrapolated"], "month_number"].max())
    anchor = backtest.loc[backtest["month_number"] == last, "predicted_survival"].to_numpy()
    months = tail["month_number"].to_numpy(float)[None, :]
    # The served tail at the cutoff: every candidate's cutoff fit, log tails averaged with the
    # group's choice weights.
    combined = np.zeros(months.shape[1])
    for _, fit in fits[fits["model"].isin(list(MODELS))].iterrows():
        params = json.loads(fit["cutoff_params"])["12"]
        model = MODELS[fit["model"]]()
        log_tail = np.log(
            anchored_tail(
                model,
                np.array([[params[p] for p in model.param_names]]),
                np.ones(1),
                np.array([last]),
                months,
            )[0]
        )
        combined += fit["choice_weight"] * log_tail
    assert fits["choice_weight"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(tail["predicted_survival"], anchor * np.exp(combined), rtol=1e-10)
    assert set(backtest["model"]) == {chosen["model"]}


def _miss_the_anchor(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    """The same group with the realised curve off by a constant factor from the cutoff's last
    month on (as if the anchor had missed the players' survival there by that much)."""
    holdout = frame["role"] == "holdout"
    return frame.assign(
        survival=np.where(
            holdout & (frame["month_number"] >= 24), frame["survival"] * factor, frame["survival"]
        )
    )


def test_the_served_tails_band_error_is_the_backtest_of_the_served_tail_itself():
    """served_log_error_* fit the squared log errors of the tail ratio S(m) / S(M) of exactly the
    curve churn_survival_backtest shows (the combination, not the chosen candidate) against the
    realised one, less the realised curve's own noise; served_backtest_mae / _rmse are that
    curve's misses on S."""
    frame = _miss_the_anchor(group_frame(5000), 0.9)
    fits = fit_tail_models(frame)
    backtest = backtest_curves(frame, fits)
    tail = backtest[backtest["is_extrapolated"]].reset_index(drop=True)
    holdout = frame[(frame["role"] == "holdout")].sort_values("month_number")
    last = int(backtest.loc[~backtest["is_extrapolated"], "month_number"].max())
    at_last = backtest.loc[backtest["month_number"] == last].iloc[0]
    realised_at_last = holdout.loc[holdout["month_number"] == last, "survival"].iloc[0]
    noise = realised_log_noise(
        holdout.assign(index=0).reset_index(drop=True),
        (holdout["month_number"] > last).to_numpy(),
    )[holdout["month_number"].to_numpy() > last]
    predicted = np.log(tail["predicted_survival"] / at_last["predicted_survival"])
    realised = np.log(tail["realised_survival"] / realised_at_last)
    squared = (predicted - realised) ** 2 - noise
    horizon = tail["month_number"].to_numpy() - last
    floor, rate = log_error_model(np.zeros(len(tail), dtype=int), squared.to_numpy(), horizon, 1)
    row = fits[fits["is_chosen"].astype(bool)].iloc[0]
    np.testing.assert_allclose(
        [row["served_log_error_floor"], row["served_log_error_rate"]],
        [floor[0], rate[0]],
        rtol=1e-8,
        atol=1e-15,
    )
    miss = tail["predicted_survival"] - tail["realised_survival"]
    np.testing.assert_allclose(
        [row["served_backtest_mae"], row["served_backtest_rmse"]],
        [miss.abs().mean(), np.sqrt((miss**2).mean())],
        rtol=1e-10,
    )


def test_an_anchor_miss_at_the_cutoff_is_not_counted_again_as_the_tails_error():
    """The band carries the anchor's own variance; the backtest's log errors score the tail's
    ratio, so a realised curve off by a constant factor from the anchor month on leaves them
    unchanged (on S the miss shows: served_backtest_mae grows)."""
    frame = group_frame(5000)
    # Each candidate's own (the served ones also move with the weights, which score misses on S).
    columns = ["backtest_log_error_floor", "backtest_log_error_rate"]
    exact = fit_tail_models(frame)
    missed = fit_tail_models(_miss_the_anchor(frame, 0.8))
    np.testing.assert_allclose(
        missed[columns].to_numpy(float), exact[columns].to_numpy(float), rtol=1e-9, atol=1e-15
    )
    assert (missed["served_backtest_mae"] > exact["served_backtest_mae"] + 0.01).all()


def test_anchored_tail_is_the_conditional_survival_times_the_anchor():
    model = BetaDiscreteWeibull()
    params = np.array([[1.2, 3.0, 0.7], [0.5, 2.0, 1.3]])
    months = np.array([[25.0, 30.0, 60.0], [13.0, 14.0, 15.0]])
    last = np.array([24, 12])
    anchor = np.array([0.3, 0.6])
    tail = anchored_tail(model, params, anchor, last, months)
    for r in range(2):
        expected = (
            anchor[r] * model.survival(months[r], params[r]) / model.survival(last[r], params[r])
        )
        np.testing.assert_allclose(tail[r], expected, rtol=1e-12)


def test_float_noise_in_the_inputs_does_not_change_the_choice():
    frame = pd.concat(
        [group_frame(n).assign(geo=geo) for n, geo in ((800, "NJ"), (3000, "PA"), (9000, "NY"))],
        ignore_index=True,
    )
    noise = 1 + 1e-13 * np.random.default_rng(5).standard_normal(len(frame))
    noisy = frame.assign(pooled_hazard=frame["pooled_hazard"] * noise)
    first, again, perturbed = (fit_tail_models(f) for f in (frame, frame, noisy))
    pd.testing.assert_frame_equal(first, again)
    chosen = first[first["is_chosen"].astype(bool)][["geo", "model"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        chosen,
        perturbed[perturbed["is_chosen"].astype(bool)][["geo", "model"]].reset_index(drop=True),
    )


def test_the_backtest_error_model_recovers_a_floor_and_a_rate_and_never_goes_negative():
    h = np.tile(np.arange(1.0, 25.0), 3)
    group = np.repeat([0, 1, 2], 24)
    # Group 0: exactly 0.02 + 1e-4 h^2; group 1: errors that shrink with h (a negative rate
    # fits best), so the floor alone; group 2: noise taken off below zero, so nothing.
    squared = np.where(group == 0, 0.02 + 1e-4 * h**2, np.where(group == 1, 0.05 - 1e-3 * h, -0.01))
    floor, rate = log_error_model(group, squared, h, 4)
    np.testing.assert_allclose(floor[:3], [0.02, squared[group == 1].mean(), 0.0], atol=1e-12)
    np.testing.assert_allclose(rate[:3], [1e-4, 0.0, 0.0], atol=1e-12)
    assert np.isnan(floor[3]) and np.isnan(rate[3])  # no scored month


def test_the_checks_own_noise_is_the_realised_greenwood_beyond_the_cutoff():
    holdout = pd.DataFrame(
        {"index": [0, 0, 0, 1], "n_at_risk": [100, 80, 50, 10], "n_events": [20, 30, 0, 10]}
    )
    beyond = np.array([False, True, True, True])
    noise = realised_log_noise(holdout, beyond)
    # Month 1 is the cutoff's data; a month without events or with everyone out adds nothing.
    np.testing.assert_allclose(noise, [0.0, 30 / (80 * 50), 30 / (80 * 50), 0.0])


def test_one_backtest_horizon_gives_a_rate_so_the_band_still_widens_with_the_tail():
    """A single horizon cannot separate a floor from a rate: all of it is rate (e^2 / h^2)."""
    squared = np.array([0.04, 0.06, 0.05])
    floor, rate = log_error_model(np.zeros(3, dtype=int), squared, np.full(3, 2.0), 1)
    np.testing.assert_allclose([floor[0], rate[0]], [0.0, squared.mean() / 4.0])


def test_one_backtest_cutoff_gives_a_rate_as_one_error_path_cannot_separate_a_floor():
    h = np.arange(1.0, 7.0)
    squared = 0.3 + 1e-3 * h**2
    one = log_error_model(np.zeros(6, dtype=int), squared, h, 1, np.full(6, 12))
    np.testing.assert_allclose([one[0][0], one[1][0]], [0.0, (squared * h**2).sum() / (h**4).sum()])
    # Two cutoffs: floor and rate as before.
    two = log_error_model(
        np.zeros(12, dtype=int), np.tile(squared, 2), np.tile(h, 2), 1, np.repeat([12, 24], 6)
    )
    np.testing.assert_allclose([two[0][0], two[1][0]], [0.3, 1e-3], rtol=1e-9)
