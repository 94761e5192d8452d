"""Tail-model selection for every group at once: candidate fits at the export and at each
backtest cutoff in one batch, backtest scoring of those same fits, and the choice.

A group is (pooling_level, partner_id, geo) at segment 'all'. Its candidates are fitted on the
pooled (effective) life table; the fits at the earlier cutoffs are scored on the months they
had to extrapolate against the Kaplan-Meier the export later showed, and kept (`cutoff_params`)
so the backtest curves reuse them. Everything is group-pure: a group's rows depend on its own
inputs only, however many groups share the batch.
"""

from __future__ import annotations

import json
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from churn.frames import conform
from churn.progress import Progress
from churn.survival.curves import (
    anchored_tail,
    columns_frame,
    combined_log_ratio,
    tail_log_ratio,
)
from churn.survival.models import (
    MIXTURE_MODELS,
    MODELS,
    BatchFit,
    BetaDiscreteWeibull,
    fit_life_tables,
    life_table_problem,
)

GROUP_KEYS = ["pooling_level", "partner_id", "geo"]
# The fixed order of simplicity that breaks near-ties: fewer parameters first, then this order.
DEFAULT_MODELS: tuple[str, ...] = ("sbg", "weibull", "loglogistic", "bdw")
TOO_FEW_EVENTS = "too few events: use the parent curve"
MIN_EVENTS = 30
# Backtest MAEs closer than this are a tie (0.01 points of survival, far above float noise,
# far below what a reader could tell apart); the simpler model wins.
MAE_TIE = 1e-4
AIC_TIE = 1e-3

FITS_SCHEMA: tuple[tuple[str, str], ...] = (
    ("pooling_level", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("model", "object"),
    ("status", "object"),
    ("params", "object"),
    ("param_covariance", "object"),
    ("cutoff_params", "object"),
    ("log_likelihood", "float64"),
    ("n_params", "Int64"),
    ("aic", "float64"),
    ("n_events", "Int64"),
    ("max_month", "Int64"),
    ("backtest_mae", "float64"),
    ("backtest_rmse", "float64"),
    ("n_backtest_months", "Int64"),
    ("backtest_log_error_rate", "float64"),
    ("backtest_log_error_floor", "float64"),
    ("choice_weight", "float64"),
    ("served_log_error_rate", "float64"),
    ("served_log_error_floor", "float64"),
    ("served_backtest_mae", "float64"),
    ("served_backtest_rmse", "float64"),
    ("is_chosen", "boolean"),
    ("choice_reason", "object"),
)


def effective_life_tables(rows: pd.DataFrame) -> pd.DataFrame:
    """The pooled life table as counts: at risk n + m, events = pooled hazard x (n + m).

    Fitting a tail model to it gives the curve the pooled hazards describe, so a small group's
    tail borrows from its parent exactly as much as its observed months do.
    """
    n_effective = rows["n_at_risk"].to_numpy(float) + rows["prior_strength_months"].to_numpy(float)
    events = np.minimum(rows["pooled_hazard"].to_numpy(float) * n_effective, n_effective)
    out = rows.assign(n_effective=n_effective, d_effective=events)
    return out[np.isfinite(n_effective) & np.isfinite(events)]


def _dense(rows: pd.DataFrame, index: np.ndarray, n_index: int) -> tuple[np.ndarray, ...]:
    """(index x month) arrays of effective at-risk and events for months 1..max."""
    months = rows["month_number"].to_numpy(np.int64)
    keep = months >= 1
    width = int(months[keep].max()) if keep.any() else 1
    at_risk = np.zeros((n_index, width))
    events = np.zeros((n_index, width))
    np.add.at(at_risk, (index[keep], months[keep] - 1), rows["n_effective"].to_numpy(float)[keep])
    np.add.at(events, (index[keep], months[keep] - 1), rows["d_effective"].to_numpy(float)[keep])
    return at_risk, events


def _problems(rows: pd.DataFrame, index: np.ndarray, n_index: int) -> np.ndarray:
    """Per fit row, why its life table cannot be fitted ('' when it can)."""
    out = np.full(n_index, "", dtype=object)
    month = rows["month_number"].to_numpy(float)
    bad = ~(np.isfinite(month) & (month >= 1) & (month == np.round(month)))
    bad |= (rows["n_effective"].to_numpy(float) < 0) | (rows["d_effective"].to_numpy(float) < 0)
    for i in np.unique(index[bad]):
        part = rows[index == i]
        out[i] = "invalid life table: " + (
            life_table_problem(
                part["month_number"].to_numpy(float),
                part["n_effective"].to_numpy(float),
                part["d_effective"].to_numpy(float),
            )
            or "bad rows"
        )
    return out


def _json_params(name: str, values: np.ndarray) -> str:
    """Parameters as a JSON object in the model's order (null for non-finite values)."""
    return json.dumps(
        {
            p: (float(v) if math.isfinite(v) else None)
            for p, v in zip(MODELS[name].param_names, values, strict=False)
        }
    )


def fit_candidates(
    at_risk: np.ndarray, events: np.ndarray, models: tuple[str, ...] = DEFAULT_MODELS
) -> dict[str, BatchFit]:
    """Every candidate model fitted to every row's life table (rows x months), one batch each.

    BdW starts, besides its own points, from the sBG and Weibull optima it nests."""
    fits: dict[str, BatchFit] = {}
    for name in sorted(models, key=lambda m: m == "bdw"):
        model = MODELS[name]()
        extra = None
        if name == "bdw" and {"sbg", "weibull"} <= set(fits):
            extra = BetaDiscreteWeibull().nested_starts(fits["sbg"].params, fits["weibull"].params)
        fits[name] = fit_life_tables(model, at_risk, events, extra)
    return fits


def _simplicity(table: pd.DataFrame) -> np.ndarray:
    """Rank of simplicity per candidate row: fewer parameters first, then DEFAULT_MODELS order."""
    order = {name: i for i, name in enumerate(DEFAULT_MODELS)}
    rank = table["model"].map(order).fillna(99).to_numpy(float)
    return table["n_params"].to_numpy(float) * 100.0 + rank


def _pick(group: np.ndarray, eligible: np.ndarray, value: np.ndarray, tie: float, rank, n: int):
    """Per group, the eligible row (index or -1) with the lowest rank among those whose value is
    within `tie` of the group's lowest eligible value."""
    best = np.full(n, np.inf)
    np.minimum.at(best, group[eligible], value[eligible])
    tied = eligible & (value <= best[group] + tie)
    rows = np.flatnonzero(tied)
    # Lowest rank first, then the first row: the candidate the tie rule names.
    rows = rows[np.lexsort((rows, rank[rows], group[rows]))]
    pick = np.full(n, -1)
    first = np.r_[True, group[rows][1:] != group[rows][:-1]] if rows.size else rows.astype(bool)
    pick[group[rows][first]] = rows[first]
    return pick


def choose_models(
    table: pd.DataFrame, min_events: int = MIN_EVENTS
) -> tuple[np.ndarray, np.ndarray]:
    """The chosen candidate row of every group (index into `table`, -1: the parent's tail) and
    why, for candidate rows of many groups (column `group`, 0..n-1) at once.

    Lowest backtest MAE, where MAEs within MAE_TIE of the best are a tie that the simplest
    model wins (fewer parameters, then the DEFAULT_MODELS order); no backtest months: lowest
    AIC among the mixture models, with the same tie rule. No rounding anywhere."""
    group = table["group"].to_numpy(np.int64)
    n = int(group.max()) + 1 if group.size else 0
    aic = table["aic"].to_numpy(float)
    mae = table["backtest_mae"].to_numpy(float)
    months = table["n_backtest_months"].to_numpy(float)
    rank = _simplicity(table)
    ok = (table["status"] == "ok").to_numpy() & np.isfinite(aic)
    events = np.full(n, -np.inf)
    np.maximum.at(events, group, table["n_events"].to_numpy(float))
    scored = ok & (months > 0) & np.isfinite(mae)
    by_mae = _pick(group, scored, mae, MAE_TIE, rank, n)
    mixture = ok & table["model"].isin(MIXTURE_MODELS).to_numpy()
    has_mixture = np.zeros(n, dtype=bool)
    has_mixture[group[mixture]] = True
    pool = np.where(has_mixture[group], mixture, ok)
    by_aic = _pick(group, pool, aic, AIC_TIE, rank, n)
    has_ok = np.zeros(n, dtype=bool)
    has_ok[group[ok]] = True

    chosen = np.where(by_mae >= 0, by_mae, by_aic)
    reasons = np.full(n, "", dtype=object)
    for g in range(n):
        if events[g] < min_events:
            chosen[g], reasons[g] = -1, TOO_FEW_EVENTS
        elif not has_ok[g]:
            chosen[g], reasons[g] = -1, "no model fitted: use the parent curve"
        elif by_mae[g] >= 0:
            r = by_mae[g]
            reasons[g] = (
                f"lowest backtest MAE {mae[r]:.4f} over {int(months[r])} "
                f"extrapolated months (within {MAE_TIE:g} of the best, the simplest)"
            )
        elif has_mixture[g]:
            reasons[g] = "no backtest months: lowest AIC among mixture models (sBG/BdW)"
        else:
            reasons[g] = (
                "no backtest months and no mixture model fitted: lowest AIC among fitted models"
            )
    return chosen, reasons


def choose_model(table: pd.DataFrame, min_events: int = MIN_EVENTS) -> tuple[str | None, str]:
    """The chosen model of one group's candidate rows and why; None means the parent's tail
    (choose_models for a single group)."""
    table = table.reset_index(drop=True).assign(group=0)
    chosen, reasons = choose_models(table, min_events)
    return (None if chosen[0] < 0 else str(table["model"].iloc[chosen[0]])), str(reasons[0])


def choice_weights(table: pd.DataFrame) -> np.ndarray:
    """How much each fitted candidate counts in its group's tail band: inverse backtest MSE (a
    forecast combination weight), or Akaike weights where the group has nothing backtested;
    sums to 1 per group (column `group`, 0..n-1)."""
    group = table["group"].to_numpy(np.int64)
    n = int(group.max()) + 1 if group.size else 0
    aic = table["aic"].to_numpy(float)
    ok = (table["status"] == "ok").to_numpy() & np.isfinite(aic)
    mse = table["backtest_rmse"].to_numpy(float) ** 2
    scored = ok & (table["n_backtest_months"].to_numpy(float) > 0) & np.isfinite(mse)
    any_scored = np.bincount(group[scored], minlength=n) > 0
    best_aic = np.full(n, np.inf)
    np.minimum.at(best_aic, group[ok], aic[ok])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inverse_mse = 1.0 / np.maximum(mse, 1e-12)
        akaike = np.exp(-0.5 * (aic - best_aic[group]))
    weights = np.where(any_scored[group], np.where(scored, inverse_mse, 0.0), 0.0)
    weights = np.where(~any_scored[group] & ok, akaike, weights)
    total = np.bincount(group, weights, minlength=n)[group]
    return np.where(total > 0, weights / np.where(total > 0, total, 1.0), weights)


def realised_log_noise(holdout: pd.DataFrame, beyond: np.ndarray) -> np.ndarray:
    """Per holdout row (sorted by fit row `index`, then month), the Greenwood variance of the
    realised Kaplan-Meier's log from the cutoff's last month to this one: the part of a squared
    backtest error that is the check's own sampling noise, not the tail's miss (the curves are
    judged against what the players' covariates imply, not against these players' fates)."""
    n = holdout["n_at_risk"].to_numpy(float)
    d = holdout["n_events"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(beyond & (n > d) & (d > 0), d / (n * (n - d)), 0.0)
    return pd.Series(term).groupby(holdout["index"].to_numpy()).cumsum().to_numpy()


def log_error_model(
    group: np.ndarray,
    squared_error: np.ndarray,
    horizon: np.ndarray,
    n_groups: int,
    cutoff: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (0..n_groups-1), the backtest's squared log errors as floor + rate x h^2 (least
    squares, both >= 0; NaN where the group has no scored month). `squared_error` may already
    have the check's own noise taken off (then a row can be negative; the fit stays >= 0).

    The floor is what the tail misses by from its first month on (the anchor and the realised
    curve's own noise), the rate how fast a hazard that is off by a constant adds to it. A rate
    alone (sum e^2 / sum h^2) charged the short horizons' constant to h^2, so the far bands came
    out about twice as wide as the errors."""
    count = np.bincount(group, minlength=n_groups).astype(float)
    h2 = horizon.astype(float) ** 2
    s2, s4 = (np.bincount(group, h2**k, n_groups) for k in (1, 2))
    y, yh = (np.bincount(group, squared_error * h2**k, n_groups) for k in (0, 1))
    det = count * s4 - s2**2
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = (y * s4 - s2 * yh) / det
        rate = (count * yh - s2 * y) / det
        # One horizon cannot tell a floor from a rate: the rate alone, so the error still grows
        # with the months extrapolated (a floor alone would keep a 36-month tail's band as narrow
        # as a 1-month one). Several horizons with a negative part: the best fit without it.
        one_horizon = ~(det > 1e-9 * count * s4)
        if cutoff is not None:
            cutoff = np.asarray(cutoff, float)
            low, high = np.full(n_groups, np.inf), np.full(n_groups, -np.inf)
            np.minimum.at(low, group, cutoff)
            np.maximum.at(high, group, cutoff)
            one_horizon |= low == high
        only_floor = ~one_horizon & (rate < 0)
        only_rate = one_horizon | (~only_floor & (floor < 0))
        floor = np.maximum(np.where(only_floor, y / count, np.where(only_rate, 0.0, floor)), 0.0)
        rate = np.maximum(np.where(only_floor, 0.0, np.where(only_rate, yh / s4, rate)), 0.0)
    missing = count == 0
    return np.where(missing, np.nan, floor), np.where(missing, np.nan, rate)


class _BacktestErrors(NamedTuple):
    """One candidate's misses at the scored backtest months: on S (fit rows and errors where
    both are finite) and on log S (fit rows, squared error less the check's own noise, months
    beyond the data, and which scored months those are)."""

    error_rows: np.ndarray
    error: np.ndarray
    log_rows: np.ndarray
    squared_log_error: np.ndarray
    horizon: np.ndarray
    is_log_scored: np.ndarray


def _scored_log_ratio(
    name: str, fit: BatchFit, row: np.ndarray, last_month: np.ndarray, month: np.ndarray
) -> np.ndarray:
    """One candidate's log S(m) / S(M) at each scored backtest month (fit row `row`, its last
    month M), never above 0, as the served curve uses it; NaN where the fit failed."""
    ratio = tail_log_ratio(
        MODELS[name](), fit.params[row], last_month.astype(float), month[:, None]
    )
    ok = np.asarray(fit.status, dtype=object)[row] == "ok"
    return np.where(ok, np.minimum(ratio[:, 0], 0.0), np.nan)


def fit_tail_models(
    fit_inputs, min_events: int = MIN_EVENTS, models: tuple[str, ...] = DEFAULT_MODELS
) -> pd.DataFrame:
    """Fits, backtests and chooses the tail model of every group; FITS_SCHEMA rows.

    `fit_inputs` (pandas or Arrow, int_survival__fit_inputs) holds each group's segment-'all'
    rows: role 'train' (pooled hazards per cutoff offset) and role 'holdout' (the Kaplan-Meier
    the export showed for the same cohorts per offset).
    """
    columns = [
        *GROUP_KEYS,
        "role",
        "cutoff_offset_months",
        "month_number",
        "n_at_risk",
        "n_events",
        "pooled_hazard",
        "prior_strength_months",
        "survival",
    ]
    frame = columns_frame(fit_inputs, columns)
    if frame.empty:
        return conform(pd.DataFrame(columns=[c for c, _ in FITS_SCHEMA]), FITS_SCHEMA)
    groups = frame[GROUP_KEYS].drop_duplicates().sort_values(GROUP_KEYS).reset_index(drop=True)
    progress = Progress("churn_survival_fits", len(groups))
    train = frame[frame["role"] == "train"]
    raw_events = train[train["cutoff_offset_months"] == 0].groupby(GROUP_KEYS)["n_events"].sum()

    # One fit row per (group, cutoff offset).
    train = effective_life_tables(train)
    fit_rows = train[[*GROUP_KEYS, "cutoff_offset_months"]].drop_duplicates()
    fit_rows = fit_rows.sort_values([*GROUP_KEYS, "cutoff_offset_months"]).reset_index(drop=True)
    index = fit_rows.reset_index().merge(train, on=[*GROUP_KEYS, "cutoff_offset_months"])
    row_of = index["index"].to_numpy()
    at_risk, events = _dense(index, row_of, len(fit_rows))
    problems = _problems(index, row_of, len(fit_rows))
    at_risk[problems != ""] = 0.0
    events[problems != ""] = 0.0
    fits = fit_candidates(at_risk, events, models)
    progress.step(len(groups), "groups fitted at the export and every backtest cutoff")

    # Backtest: anchor each cutoff fit on the pooled survival at its last at-risk month.
    last_month = np.where(at_risk > 0, np.arange(1, at_risk.shape[1] + 1), 0).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, 1.0 - events / at_risk, 1.0)
    anchor = np.cumprod(step, axis=1)[np.arange(len(fit_rows)), np.maximum(last_month, 1) - 1]
    holdout = frame[(frame["role"] == "holdout") & (frame["cutoff_offset_months"] > 0)]
    scored = fit_rows.reset_index().merge(holdout, on=[*GROUP_KEYS, "cutoff_offset_months"])
    scored = scored.sort_values(["index", "month_number"], kind="stable")
    scored_row = scored["index"].to_numpy()
    scored_month = scored["month_number"].to_numpy(float)
    beyond = scored_month > last_month[scored_row]
    noise = realised_log_noise(scored, beyond)
    realised_at_anchor = np.full(len(fit_rows), np.nan)
    at_anchor = scored_month == last_month[scored_row]
    realised_at_anchor[scored_row[at_anchor]] = scored["survival"].to_numpy(float)[at_anchor]
    keep = beyond & np.isfinite(scored["survival"].to_numpy(float))
    scored_row, scored_month, noise = scored_row[keep], scored_month[keep], noise[keep]
    realised = scored["survival"].to_numpy(float)[keep]
    # The log errors score the tail's ratio S(m) / S(M) against the realised one, not S(m): the
    # anchor's miss at the cutoff is the anchor's sampling error, which the band carries as the
    # anchor's own variance at the export (scored in S as well, the band counted it twice).
    with np.errstate(divide="ignore", invalid="ignore"):
        realised_log_ratio = np.log(realised) - np.log(realised_at_anchor[scored_row])
    scored_offset = fit_rows["cutoff_offset_months"].to_numpy()[scored_row]
    errors: dict[str, _BacktestErrors] = {}
    log_ratios = {}
    for name, fit in fits.items():
        predicted = anchored_tail(
            MODELS[name](),
            fit.params[scored_row],
            anchor[scored_row],
            last_month[scored_row].astype(float),
            scored_month[:, None],
        )[:, 0]
        log_ratios[name] = _scored_log_ratio(
            name, fit, scored_row, last_month[scored_row], scored_month
        )
        error = predicted - realised
        valid = np.isfinite(error)
        log_error = log_ratios[name] - realised_log_ratio
        positive = valid & np.isfinite(log_error)
        horizon = scored_month - last_month[scored_row]
        errors[name] = _BacktestErrors(
            error_rows=scored_row[valid],
            error=error[valid],
            log_rows=scored_row[positive],
            squared_log_error=log_error[positive] ** 2 - noise[positive],
            horizon=horizon[positive],
            is_log_scored=positive,
        )

    # Candidate rows at the export (offset 0) with their backtest over all cutoffs.
    out = []
    offsets = fit_rows["cutoff_offset_months"].to_numpy()
    group_of = fit_rows[GROUP_KEYS].merge(groups.reset_index(), on=GROUP_KEYS)["index"].to_numpy()
    for name in models:
        fit = fits[name]
        checked = errors[name]
        row_group = group_of[checked.error_rows]
        abs_sum = np.bincount(row_group, np.abs(checked.error), len(groups))
        sq_sum = np.bincount(row_group, checked.error**2, len(groups))
        count = np.bincount(row_group, minlength=len(groups))
        # The extrapolation error of log S, a constant plus a part growing with the horizon h.
        floor, rate = log_error_model(
            group_of[checked.log_rows],
            checked.squared_log_error,
            checked.horizon,
            len(groups),
            scored_offset[checked.is_log_scored],
        )
        current = np.full(len(groups), -1)
        current[group_of[offsets == 0]] = np.flatnonzero(offsets == 0)
        cutoff_params: list[dict[str, object]] = [{} for _ in range(len(groups))]
        for r in np.flatnonzero(offsets > 0):
            if fit.status[r] == "ok":
                cutoff_params[group_of[r]][str(int(offsets[r]))] = json.loads(
                    _json_params(name, fit.params[r])
                )
        n_params = MODELS[name]().n_params
        for g in range(len(groups)):
            r = current[g]
            has = r >= 0
            status = (problems[r] or fit.status[r]) if has else "no life table at the export"
            params = fit.params[r] if has else np.full(n_params, np.nan)
            ll = float(fit.log_likelihood[r]) if has else np.nan
            out.append(
                {
                    "group": g,
                    "model": name,
                    "status": status,
                    "params": _json_params(name, params),
                    "param_covariance": json.dumps(
                        fit.covariance[r].tolist() if has and status == "ok" else None
                    ),
                    "cutoff_params": json.dumps(cutoff_params[g], sort_keys=True),
                    "log_likelihood": ll if status == "ok" else np.nan,
                    "n_params": n_params,
                    "aic": 2 * n_params - 2 * ll if status == "ok" else np.nan,
                    "max_month": int(last_month[r]) if has else 0,
                    "backtest_mae": abs_sum[g] / count[g] if count[g] else np.nan,
                    "backtest_rmse": math.sqrt(sq_sum[g] / count[g]) if count[g] else np.nan,
                    "n_backtest_months": int(count[g]),
                    "backtest_log_error_rate": rate[g],
                    "backtest_log_error_floor": floor[g],
                }
            )
    candidates = pd.DataFrame(out)
    candidates["n_events"] = (
        # A Series is a mapper pandas documents; the stubs only list dicts and callables.
        groups.set_index(GROUP_KEYS).index.map(raw_events).to_numpy()[candidates["group"]]  # type: ignore[arg-type]
    )
    candidates["n_events"] = candidates["n_events"].fillna(0).astype(int)

    # Every group's choice and weights at once; a group without a tail of its own gets a
    # status row (model 'parent') after its candidates that says why.
    candidates = candidates.sort_values("group", kind="stable").reset_index(drop=True)
    chosen, reasons = choose_models(candidates, min_events)
    candidates["choice_weight"] = choice_weights(candidates)
    # The served tail is the choice-weighted combination: its own backtest sizes its band.
    weight = np.zeros((len(groups), len(models)))
    weight[candidates["group"].to_numpy(), candidates["model"].map(models.index).to_numpy()] = (
        candidates["choice_weight"].to_numpy(float)
    )
    served_log_ratio = combined_log_ratio(
        np.stack([log_ratios[name] for name in models], axis=1)[:, :, None],
        weight[group_of[scored_row]],
    )[:, 0]
    served_error = served_log_ratio - realised_log_ratio
    positive = np.isfinite(served_error)
    served_group = group_of[scored_row[positive]]
    served_floor, served_rate = log_error_model(
        served_group,
        served_error[positive] ** 2 - noise[positive],
        (scored_month - last_month[scored_row])[positive],
        len(groups),
        scored_offset[positive],
    )
    # The served tail's miss on S itself, as the candidates' backtest_mae / _rmse measure theirs.
    served_miss = anchor[scored_row] * np.exp(served_log_ratio) - realised
    scored_miss = np.isfinite(served_miss)
    miss_group = group_of[scored_row[scored_miss]]
    miss_count = np.bincount(miss_group, minlength=len(groups)).astype(float)
    abs_miss = np.bincount(miss_group, np.abs(served_miss[scored_miss]), len(groups))
    squared_miss = np.bincount(miss_group, served_miss[scored_miss] ** 2, len(groups))
    with np.errstate(divide="ignore", invalid="ignore"):
        served_mae = abs_miss / miss_count
        served_rmse = np.sqrt(squared_miss / miss_count)
    per_group = candidates["group"].to_numpy()
    candidates["served_log_error_rate"] = served_rate[per_group]
    candidates["served_log_error_floor"] = served_floor[per_group]
    candidates["served_backtest_mae"] = served_mae[per_group]
    candidates["served_backtest_rmse"] = served_rmse[per_group]
    is_chosen = np.zeros(len(candidates), dtype=bool)
    is_chosen[chosen[chosen >= 0]] = True
    candidates["is_chosen"] = is_chosen
    group_reasons = reasons[candidates["group"].to_numpy()]
    candidates["choice_reason"] = [
        r if c else None for c, r in zip(is_chosen, group_reasons, strict=True)
    ]
    to_parent = np.flatnonzero(chosen < 0)
    first_events = candidates.groupby("group", sort=True)["n_events"].first()
    parents = pd.DataFrame(
        {
            "group": to_parent,
            "model": "parent",
            "status": "ok",
            "is_chosen": True,
            "choice_reason": reasons[to_parent],
            "n_events": first_events.reindex(to_parent).to_numpy(),
        }
    )
    result = pd.concat([candidates, parents], ignore_index=True)
    result = result.sort_values("group", kind="stable").reset_index(drop=True)
    result = pd.concat(
        [groups.iloc[result["group"].to_numpy()].reset_index(drop=True), result], axis=1
    )
    progress.step(len(groups), "groups backtested and chosen")
    return conform(result, FITS_SCHEMA)
