"""The survival baseline end to end for the warehouse: per group, fit the candidate tail models
on the pooled life table, backtest them at earlier cutoffs, choose one, and assemble the 0..60
month curves with bands, pooling weights and the method used.

A group is (pooling_level, partner_id, geo); its segments (product, channel, FTD year) share the
group's chosen tail model. `fit_group` is partition-pure and runs through `churn.partitions`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churn.survival.fitting import (
    DEFAULT_MODELS,
    backtest,
    choose_model,
    fit_candidates,
    fitted_model,
)

GROUP_KEYS = ["pooling_level", "partner_id", "geo"]
Z_95 = 1.959963984540054
MAX_MONTH = 60
RMST_HORIZONS = (12, 24, 60)
PARENT_LEVEL = {"partition": "partner", "partner": "all", "all": None}

FITS_SCHEMA: tuple[tuple[str, str], ...] = (
    ("pooling_level", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("model", "object"),
    ("status", "object"),
    ("params", "object"),
    ("log_likelihood", "float64"),
    ("n_params", "Int64"),
    ("aic", "float64"),
    ("n_events", "Int64"),
    ("max_month", "Int64"),
    ("backtest_mae", "float64"),
    ("backtest_rmse", "float64"),
    ("n_backtest_months", "Int64"),
    ("is_chosen", "boolean"),
    ("choice_reason", "object"),
)

CURVE_SCHEMA: tuple[tuple[str, str], ...] = (
    ("pooling_level", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("segment_type", "object"),
    ("segment_value", "object"),
    ("n_players", "Int64"),
    ("month_number", "int64"),
    ("survival", "float64"),
    ("survival_lower", "float64"),
    ("survival_upper", "float64"),
    ("hazard", "float64"),
    ("raw_survival", "float64"),
    ("n_at_risk", "Int64"),
    ("n_events", "Int64"),
    ("n_censored", "Int64"),
    ("is_extrapolated", "bool"),
    ("method", "object"),
    ("pooling_weight", "float64"),
)


def effective_life_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The pooled life table as counts: at risk n + m, events = pooled hazard x (n + m).

    Fitting a tail model to it gives the curve the pooled hazards describe, so a small partition's
    tail borrows from its parent exactly as much as its observed months do.
    """
    n_effective = rows["n_at_risk"].to_numpy(float) + rows["prior_strength_months"].to_numpy(float)
    return pd.DataFrame(
        {
            "month": rows["month_number"].to_numpy(np.int64),
            "n_at_risk": n_effective,
            "n_events": np.minimum(
                rows["pooled_hazard"].to_numpy(float) * n_effective, n_effective
            ),
        }
    ).dropna()


def fit_group(frame: pd.DataFrame, min_events: int = 30) -> pd.DataFrame:
    """Fits, backtests and chooses the tail model of one group; one row per candidate model.

    `frame` holds the group's segment-'all' rows: role 'train' (pooled hazards per cutoff offset)
    and role 'holdout' (the Kaplan-Meier the export showed for the same cohorts per offset).
    """
    keys = {key: frame[key].iloc[0] for key in GROUP_KEYS}
    train = frame[frame["role"] == "train"].sort_values("month_number")
    holdout = frame[frame["role"] == "holdout"]
    current = train[train["cutoff_offset_months"] == 0]
    candidates = fit_candidates(effective_life_table(current), DEFAULT_MODELS)
    n_raw_events = int(current["n_events"].sum())
    candidates["n_events"] = n_raw_events

    scores = []
    for offset, train_rows in train[train["cutoff_offset_months"] > 0].groupby(
        "cutoff_offset_months"
    ):
        realised = holdout[holdout["cutoff_offset_months"] == offset]
        curve = realised.rename(columns={"month_number": "month"})[["month", "survival"]]
        scores.append(backtest(effective_life_table(train_rows), curve, DEFAULT_MODELS))
    if scores:
        scored = pd.concat(scores)
        scored = scored[scored["status"] == "ok"]
        weights = scored["n_scored_months"].where(scored["n_scored_months"] > 0)
        summary = (
            scored.assign(
                abs_error_sum=scored["backtest_mae"] * weights,
                sq_error_sum=scored["backtest_rmse"] ** 2 * weights,
            )
            .groupby("model")
            .agg(
                abs_error_sum=("abs_error_sum", "sum"),
                sq_error_sum=("sq_error_sum", "sum"),
                n_scored_months=("n_scored_months", "sum"),
            )
        )
        summary["backtest_mae"] = summary["abs_error_sum"] / summary["n_scored_months"].replace(
            0, np.nan
        )
        summary["backtest_rmse"] = np.sqrt(
            summary["sq_error_sum"] / summary["n_scored_months"].replace(0, np.nan)
        )
        summary["status"] = "ok"
        summary = summary.reset_index()[
            ["model", "status", "backtest_mae", "backtest_rmse", "n_scored_months"]
        ]
    else:
        summary = pd.DataFrame(
            columns=["model", "status", "backtest_mae", "backtest_rmse", "n_scored_months"]
        )

    choice = choose_model(candidates, summary, min_events=min_events)
    out = candidates.merge(
        summary[["model", "backtest_mae", "backtest_rmse", "n_scored_months"]],
        on="model",
        how="left",
    )
    out = out.rename(columns={"n_scored_months": "n_backtest_months"})
    out["is_chosen"] = out["model"] == choice["model"]
    out["choice_reason"] = np.where(out["is_chosen"], choice["reason"], None)
    if choice["model"] is None:
        # The status row that says why the group uses its parent's tail.
        out = pd.concat(
            [
                out,
                pd.DataFrame(
                    [
                        {
                            "model": "parent",
                            "status": "ok",
                            "is_chosen": True,
                            "choice_reason": choice["reason"],
                            "n_events": n_raw_events,
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    for key, value in keys.items():
        out[key] = value
    return out


def _greenwood_variance(at_risk: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Running Greenwood sum d / (n (n - d)): the variance of log S."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(
            (at_risk > 0) & (events < at_risk), events / (at_risk * (at_risk - events)), 0.0
        )
    return np.cumsum(term)


def pooled_log_variance(
    survival: np.ndarray,
    effective_at_risk: np.ndarray,
    effective_events: np.ndarray,
    level_log_variance: float,
    raw_survival: np.ndarray,
    raw_log_variance: np.ndarray,
) -> np.ndarray:
    """Variance of log S for a pooled curve, aware that shrinkage can be biased.

    The posterior part: Greenwood on the effective counts (the prior's pseudo-players included)
    plus the error shared by all months through the group's relative risk,
    Lambda_t^2 Var(log RR). Where the pooled curve departs from the group's own Kaplan-Meier,
    that departure squared (a bias estimate) is added, but the variance never exceeds the
    Kaplan-Meier's own (its Greenwood sum): pooling may narrow a band, never widen it beyond the
    data's.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        posterior = _greenwood_variance(effective_at_risk, effective_events)
        posterior = posterior + log_s**2 * level_log_variance
        departure = np.nan_to_num((log_s - np.log(raw_survival)) ** 2, nan=0.0, posinf=np.inf)
    return np.maximum(posterior, np.minimum(raw_log_variance, departure + posterior))


def _greenwood_bands(
    survival: np.ndarray, log_variance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log-log 95% bands, as lifelines computes them for Kaplan-Meier, from Var(log S)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        variance = log_variance
        spread = Z_95 * np.sqrt(variance) / log_s
        lower = np.exp(-np.exp(np.log(-log_s) - spread))
        upper = np.exp(-np.exp(np.log(-log_s) + spread))
    lower = np.where(log_s == 0, 1.0, np.where(survival <= 0, 0.0, lower))
    upper = np.where(log_s == 0, 1.0, np.where(survival <= 0, 0.0, upper))
    return lower, upper


def chosen_models(fits: pd.DataFrame) -> dict[tuple, object]:
    """Group key -> fitted tail model, following the parent chain where a group has none."""
    own = {}
    for key, rows in fits.groupby(GROUP_KEYS):
        chosen = rows[rows["is_chosen"].fillna(False).astype(bool)]
        name = chosen["model"].iloc[0] if len(chosen) else None
        own[key] = (name, fitted_model(rows, name) if name not in (None, "parent") else None)
    return own


def _parent_key(key: tuple) -> tuple | None:
    level, partner_id, _ = key
    parent = PARENT_LEVEL[level]
    if parent == "partner":
        return ("partner", partner_id, "_all")
    if parent == "all":
        return ("all", "_all", "_all")
    return None


def _tail_model(key: tuple, models: dict) -> tuple[object, str]:
    """The group's own chosen model, else the nearest ancestor's, with the method label."""
    suffix = ""
    while key is not None:
        name, model = models.get(key, (None, None))
        if model is not None:
            return model, f"{model.name}{suffix}"
        key = _parent_key(key)
        suffix = " (parent tail)"
    return None, "none"


def assemble_curve(
    rows: pd.DataFrame, model, method: str, max_month: int = MAX_MONTH
) -> pd.DataFrame:
    """One curve, months 0..max_month: pooled survival over the observed months with its bands,
    then the tail model's conditional survival; bands scale with the tail.

    `rows` are one group's curve inputs (int_survival__curve_inputs): counts, pooled hazard and
    prior, and the group's own Kaplan-Meier from SQL."""
    months = np.arange(max_month + 1)
    per_month = rows.set_index("month_number").reindex(months)
    at_risk = per_month["n_at_risk"].fillna(0).to_numpy(float)
    last_observed = int(months[at_risk > 0].max()) if (at_risk > 0).any() else 0
    span = slice(0, last_observed + 1)
    is_extrapolated = months > last_observed

    hazard = per_month["pooled_hazard"].to_numpy(float)
    hazard[is_extrapolated] = np.nan
    survival = np.full(months.size, np.nan)
    survival[span] = np.cumprod(np.concatenate([[1.0], 1.0 - np.nan_to_num(hazard[1 : span.stop])]))

    effective_at_risk = at_risk + per_month["prior_strength_months"].fillna(0).to_numpy(float)
    effective_events = np.nan_to_num(hazard) * effective_at_risk
    level_log_variance = float(per_month["relative_risk_log_variance"].fillna(0).max())
    raw_survival = per_month["raw_survival"].to_numpy(float)
    raw_survival[0] = 1.0
    raw_log_variance = per_month["raw_greenwood_sum"].fillna(0).to_numpy(float)
    log_variance = pooled_log_variance(
        survival[span],
        effective_at_risk[span],
        effective_events[span],
        level_log_variance,
        raw_survival[span],
        raw_log_variance[span],
    )
    lower = np.full(months.size, np.nan)
    upper = np.full(months.size, np.nan)
    lower[span], upper[span] = _greenwood_bands(survival[span], log_variance)

    if is_extrapolated.any() and model is not None:
        tail_months = months[is_extrapolated].astype(float)
        ratio = np.exp(model.log_survival(tail_months) - model.log_survival(float(last_observed)))
        ratio = np.clip(np.nan_to_num(ratio, nan=0.0), 0.0, 1.0)
        survival[is_extrapolated] = survival[last_observed] * ratio
        lower[is_extrapolated] = lower[last_observed] * ratio
        upper[is_extrapolated] = np.minimum(1.0, upper[last_observed] * ratio)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail_hazard = 1.0 - survival[1:] / survival[:-1]
        hazard[is_extrapolated] = tail_hazard[is_extrapolated[1:]]

    pooling_weight = per_month["pooling_weight"].to_numpy(float)
    pooling_weight[0] = 1.0
    return pd.DataFrame(
        {
            "month_number": months,
            "survival": survival,
            "survival_lower": lower,
            "survival_upper": upper,
            "hazard": hazard,
            "raw_survival": raw_survival,
            "n_at_risk": per_month["n_at_risk"].to_numpy(float),
            "n_events": per_month["n_events"].to_numpy(float),
            "n_censored": per_month["n_censored"].to_numpy(float),
            "is_extrapolated": is_extrapolated,
            "method": np.where(is_extrapolated, method, "pooled kaplan-meier"),
            "pooling_weight": pooling_weight,
        }
    )


def assemble_curves(
    hazards: pd.DataFrame, fits: pd.DataFrame, max_month: int = MAX_MONTH
) -> pd.DataFrame:
    """Every curve (group x segment), months 0..max_month, in a CURVE_SCHEMA frame."""
    models = chosen_models(fits)
    curves = []
    for (level, partner_id, geo, segment_type, segment_value), rows in hazards.groupby(
        GROUP_KEYS + ["segment_type", "segment_value"], sort=True
    ):
        model, method = _tail_model((level, partner_id, geo), models)
        if segment_type != "all" and model is not None:
            method = f"{method} (group tail)" if "(parent tail)" not in method else method
        curve = assemble_curve(rows, model, method, max_month)
        curve.insert(0, "n_players", int(rows["n_players"].iloc[0]))
        for position, (column, value) in enumerate(
            zip(
                GROUP_KEYS + ["segment_type", "segment_value"],
                (level, partner_id, geo, segment_type, segment_value),
                strict=True,
            )
        ):
            curve.insert(position, column, value)
        curves.append(curve)
    frame = (
        pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(columns=[c for c, _ in CURVE_SCHEMA])
    )
    return frame[[c for c, _ in CURVE_SCHEMA]].astype(dict(CURVE_SCHEMA))


def restricted_means(curves: pd.DataFrame, horizons=RMST_HORIZONS) -> pd.DataFrame:
    """Restricted mean active months to each horizon: sum of S(m) for m < horizon, per curve."""
    keys = GROUP_KEYS + ["segment_type", "segment_value"]
    out = curves[keys].drop_duplicates().set_index(keys)
    for horizon in horizons:
        within = curves[curves["month_number"] < horizon]
        out[f"restricted_mean_months_{horizon}"] = within.groupby(keys)["survival"].sum(
            min_count=horizon
        )
    return out.reset_index()


BACKTEST_CURVE_SCHEMA: tuple[tuple[str, str], ...] = (
    ("pooling_level", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("cutoff_offset_months", "int64"),
    ("model", "object"),
    ("month_number", "int64"),
    ("predicted_survival", "float64"),
    ("realised_survival", "float64"),
    ("is_extrapolated", "bool"),
)


def backtest_group(frame: pd.DataFrame, model_name: str | None) -> pd.DataFrame:
    """Predicted vs realised survival of one group at each earlier cutoff, month by month.

    Predicted: the pooled curve known at the cutoff, continued by the chosen tail model refitted on
    the cutoff's data. Realised: the Kaplan-Meier the export later showed for the same players.
    """
    from churn.survival.discrete_models import MODELS

    keys = {key: frame[key].iloc[0] for key in GROUP_KEYS}
    out = []
    if model_name not in MODELS:
        return pd.DataFrame(columns=[c for c, _ in BACKTEST_CURVE_SCHEMA])
    train = frame[frame["role"] == "train"]
    holdout = frame[frame["role"] == "holdout"]
    for offset, train_rows in train[train["cutoff_offset_months"] > 0].groupby(
        "cutoff_offset_months"
    ):
        realised = holdout[holdout["cutoff_offset_months"] == offset].set_index("month_number")[
            "survival"
        ]
        if realised.empty:
            continue
        model = MODELS[model_name]().fit(effective_life_table(train_rows))
        curve = assemble_curve(
            train_rows,
            model if model.status_ == "ok" else None,
            model_name,
            max_month=int(realised.index.max()),
        )
        out.append(
            pd.DataFrame(
                {
                    **keys,
                    "cutoff_offset_months": int(offset),
                    "model": model_name,
                    "month_number": curve["month_number"],
                    "predicted_survival": curve["survival"],
                    "realised_survival": realised.reindex(curve["month_number"]).to_numpy(float),
                    "is_extrapolated": curve["is_extrapolated"],
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=[c for c, _ in BACKTEST_CURVE_SCHEMA])
    frame_out = pd.concat(out, ignore_index=True)
    frame_out.loc[frame_out["month_number"] == 0, "realised_survival"] = 1.0
    return frame_out


def backtest_curves(fit_inputs: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    """Backtest curves for every group that chose its own tail model."""
    chosen = fits[fits["is_chosen"].fillna(False).astype(bool)].set_index(GROUP_KEYS)["model"]
    parts = [
        backtest_group(rows, chosen.get(key))
        for key, rows in fit_inputs.groupby(GROUP_KEYS, sort=True)
    ]
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=[c for c, _ in BACKTEST_CURVE_SCHEMA])
    return pd.concat(parts, ignore_index=True)[[c for c, _ in BACKTEST_CURVE_SCHEMA]].astype(
        dict(BACKTEST_CURVE_SCHEMA)
    )
