"""Partition-pure fitting, backtesting, model choice and extrapolation of survival curves.

Every function takes pandas objects for one partition and returns a frame with a declared
schema (column -> dtype) or a small dict; bad partitions yield status rows, never exceptions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from churn.survival.discrete_models import (
    MIXTURE_MODELS,
    MODELS,
    DiscreteSurvivalModel,
    clean_life_table,
)

DEFAULT_MODELS: tuple[str, ...] = ("sbg", "bdw", "weibull", "loglogistic")
MAX_PARAMS = 3
TOO_FEW_EVENTS = "too few events: use the parent curve"

CANDIDATE_SCHEMA: dict[str, str] = {
    "model": "object",
    "status": "object",
    "at_bound": "bool",
    "param_1_name": "object",
    "param_1": "float64",
    "param_2_name": "object",
    "param_2": "float64",
    "param_3_name": "object",
    "param_3": "float64",
    "params": "object",
    "log_likelihood": "float64",
    "n_params": "int64",
    "aic": "float64",
    "n_events": "int64",
    "n_at_risk_total": "int64",
    "max_month": "int64",
}

BACKTEST_SCHEMA: dict[str, str] = {
    "model": "object",
    "status": "object",
    "backtest_mae": "float64",
    "backtest_rmse": "float64",
    "n_scored_months": "int64",
    "train_max_month": "int64",
}

EXTRAPOLATION_SCHEMA: dict[str, str] = {
    "month": "int64",
    "survival": "float64",
    "is_extrapolated": "bool",
    "method": "object",
}


def _conform(rows: list[dict[str, object]], schema: dict[str, str]) -> pd.DataFrame:
    """Build a frame with exactly the schema's columns, in order, with the declared dtypes."""
    frame = pd.DataFrame(rows, columns=list(schema))
    return frame.astype(schema)


def _table_summary(life_table: pd.DataFrame) -> tuple[pd.DataFrame | None, int, int, int]:
    """Cleaned life table (None if invalid) with total events, total at risk and max month."""
    try:
        lt = clean_life_table(life_table)
    except ValueError:
        return None, 0, 0, 0
    max_month = int(lt["month"].max()) if len(lt) else 0
    return (lt, int(round(lt["n_events"].sum())), int(round(lt["n_at_risk"].sum())), max_month)


def _params_json(model: DiscreteSurvivalModel) -> str:
    """Fitted parameters as a JSON object (null for non-finite values, '{}' if unfitted)."""
    params = model.params_ or {}
    clean = {k: (float(v) if math.isfinite(v) else None) for k, v in params.items()}
    return json.dumps(clean, sort_keys=False)


def fit_candidates(
    life_table: pd.DataFrame, models: Sequence[str] = DEFAULT_MODELS
) -> pd.DataFrame:
    """Fit each named model to one partition's life table; one CANDIDATE_SCHEMA row per model."""
    _, n_events, n_at_risk, max_month = _table_summary(life_table)
    rows: list[dict[str, object]] = []
    for name in models:
        row: dict[str, object] = {
            "model": name,
            "n_events": n_events,
            "n_at_risk_total": n_at_risk,
            "max_month": max_month,
            "at_bound": False,
            "log_likelihood": np.nan,
            "aic": np.nan,
            "params": "{}",
        }
        for i in range(1, MAX_PARAMS + 1):
            row[f"param_{i}_name"] = None
            row[f"param_{i}"] = np.nan
        if name not in MODELS:
            row.update(status=f"unknown model {name!r}", n_params=0)
            rows.append(row)
            continue
        model = MODELS[name]().fit(life_table)
        row.update(
            status=model.status_,
            at_bound=model.at_bound_,
            log_likelihood=model.log_likelihood_,
            aic=model.aic_,
            n_params=model.n_params,
            params=_params_json(model),
        )
        for i, pname in enumerate(model.param_names, start=1):
            row[f"param_{i}_name"] = pname
            row[f"param_{i}"] = (model.params_ or {}).get(pname, np.nan)
        rows.append(row)
    return _conform(rows, CANDIDATE_SCHEMA)


def fitted_model(candidates: pd.DataFrame, model: str | None) -> DiscreteSurvivalModel | None:
    """Rebuild a fitted model from its fit_candidates row (None if absent or not 'ok')."""
    if model is None or model not in MODELS or candidates is None or candidates.empty:
        return None
    rows = candidates[(candidates["model"] == model) & (candidates["status"] == "ok")]
    if rows.empty:
        return None
    try:
        params = json.loads(rows["params"].iloc[0])
        values = [params[p] for p in MODELS[model].param_names]
    except (KeyError, TypeError, ValueError):
        return None
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return MODELS[model].with_params(values)


def _km_from_life_table(lt: pd.DataFrame) -> float:
    """Kaplan-Meier survival at the life table's last month: prod (1 - d/n)."""
    if lt.empty:
        return 1.0
    return float(np.prod(1.0 - lt["n_events"].to_numpy(float) / lt["n_at_risk"].to_numpy(float)))


def _clean_curve(curve: pd.DataFrame) -> pd.DataFrame:
    """Holdout curve as (month int, survival float) rows with finite values; raises ValueError."""
    if not isinstance(curve, pd.DataFrame) or not {"month", "survival"} <= set(curve.columns):
        raise ValueError("holdout curve needs columns month, survival")
    frame = pd.DataFrame(
        {
            "month": pd.to_numeric(curve["month"], errors="coerce"),
            "survival": pd.to_numeric(curve["survival"], errors="coerce"),
        }
    ).astype(float)
    frame = frame[np.isfinite(frame["month"]) & np.isfinite(frame["survival"])]
    return frame.groupby("month", as_index=False).mean()


def backtest(
    train_life_table: pd.DataFrame,
    holdout_curve: pd.DataFrame,
    models: Sequence[str] = DEFAULT_MODELS,
    anchored: bool = True,
) -> pd.DataFrame:
    """Fit on an earlier cutoff's life table, score the extrapolated months against a later KM.

    Only holdout months beyond the train table's last at-risk month M are scored (the part the
    model had to extrapolate). With `anchored` (default) the prediction is what `extrapolate`
    would have produced: KM_train(M) * S_model(m) / S_model(M); otherwise the raw S_model(m).
    Months are weighted equally. One BACKTEST_SCHEMA row per model.
    """
    lt, _, _, train_max = _table_summary(train_life_table)
    try:
        holdout = _clean_curve(holdout_curve)
        holdout = holdout[holdout["month"] > train_max]
        holdout_error = ""
    except ValueError as exc:
        holdout, holdout_error = None, f"invalid holdout curve: {exc}"
    anchor = _km_from_life_table(lt) if lt is not None else float("nan")
    rows: list[dict[str, object]] = []
    for name in models:
        row: dict[str, object] = {
            "model": name,
            "backtest_mae": np.nan,
            "backtest_rmse": np.nan,
            "n_scored_months": 0,
            "train_max_month": train_max,
        }
        if name not in MODELS:
            row["status"] = f"unknown model {name!r}"
            rows.append(row)
            continue
        model = MODELS[name]().fit(train_life_table)
        if model.status_ != "ok":
            row["status"] = model.status_
        elif holdout is None:
            row["status"] = holdout_error
        else:
            row["status"] = "ok"
            months = holdout["month"].to_numpy(float)
            if months.size:
                log_s = model.log_survival(months)
                if anchored:
                    with np.errstate(all="ignore"):
                        ratio = np.exp(log_s - model.log_survival(float(train_max)))
                    pred = anchor * np.nan_to_num(ratio, nan=0.0)
                else:
                    pred = np.exp(log_s)
                err = pred - holdout["survival"].to_numpy(float)
                row.update(
                    backtest_mae=float(np.mean(np.abs(err))),
                    backtest_rmse=float(np.sqrt(np.mean(err**2))),
                    n_scored_months=int(months.size),
                )
        rows.append(row)
    return _conform(rows, BACKTEST_SCHEMA)


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as float (NaN where missing or non-numeric), tolerant of object dtypes."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def choose_model(
    candidates: pd.DataFrame, backtest: pd.DataFrame | None, min_events: int = 30
) -> dict[str, str | None]:
    """Pick the model to extrapolate with: lowest backtest MAE, else mixture model by AIC.

    Returns {'model': name or None, 'reason': text}; None means use the parent partition's curve.
    """
    if not isinstance(candidates, pd.DataFrame) or candidates.empty:
        return {"model": None, "reason": TOO_FEW_EVENTS}
    if not {"model", "status"} <= set(candidates.columns):
        return {"model": None, "reason": "invalid candidates frame: use the parent curve"}
    n_events = _numeric(candidates, "n_events").max()
    if not np.isfinite(n_events) or n_events < min_events:
        return {"model": None, "reason": TOO_FEW_EVENTS}
    aic = _numeric(candidates, "aic")
    ok = candidates.assign(aic=aic)[(candidates["status"] == "ok") & np.isfinite(aic)]
    if ok.empty:
        return {"model": None, "reason": "no model fitted: use the parent curve"}
    if (
        isinstance(backtest, pd.DataFrame)
        and not backtest.empty
        and {"model", "status"} <= set(backtest.columns)
    ):
        mae = _numeric(backtest, "backtest_mae")
        months = _numeric(backtest, "n_scored_months")
        scored = backtest.assign(backtest_mae=mae, n_scored_months=months)[
            (backtest["status"] == "ok")
            & (months > 0)
            & np.isfinite(mae)
            & backtest["model"].isin(ok["model"])
        ]
        if not scored.empty:
            scored = scored.merge(ok[["model", "aic", "n_params"]], on="model")
            # Errors equal to 1e-6 are a tie (inputs differ by float noise between builds): the
            # simpler model wins, then AIC. Rounding keeps the choice the same build to build.
            scored = scored.assign(
                mae_rounded=scored["backtest_mae"].round(6), aic_rounded=scored["aic"].round(3)
            )
            best = scored.sort_values(
                ["mae_rounded", "n_params", "aic_rounded", "model"], kind="mergesort"
            ).iloc[0]
            return {
                "model": str(best["model"]),
                "reason": (
                    f"lowest backtest MAE {best['backtest_mae']:.4f} over "
                    f"{int(best['n_scored_months'])} extrapolated months"
                ),
            }
    mixtures = ok[ok["model"].isin(MIXTURE_MODELS)]
    if not mixtures.empty:
        best = mixtures.sort_values(["aic", "model"], kind="mergesort").iloc[0]
        return {
            "model": str(best["model"]),
            "reason": "no backtest months: lowest AIC among mixture models (sBG/BdW)",
        }
    best = ok.sort_values(["aic", "model"], kind="mergesort").iloc[0]
    return {
        "model": str(best["model"]),
        "reason": "no backtest months and no mixture model fitted: lowest AIC among fitted models",
    }


def _clean_observed(observed_curve: pd.Series | pd.DataFrame) -> pd.Series:
    """Observed S as a monotone step function on months 0..M (S(0)=1 added if missing)."""
    if isinstance(observed_curve, pd.DataFrame):
        if {"month", "survival"} <= set(observed_curve.columns):
            observed_curve = observed_curve.set_index("month")["survival"]
        else:
            observed_curve = pd.Series(dtype=float)
    if not isinstance(observed_curve, pd.Series):
        observed_curve = pd.Series(dtype=float)
    months = pd.to_numeric(pd.Series(observed_curve.index), errors="coerce").to_numpy(float)
    values = pd.to_numeric(pd.Series(observed_curve.to_numpy()), errors="coerce").to_numpy(float)
    keep = np.isfinite(months) & np.isfinite(values) & (months >= 0)
    s = pd.Series(np.clip(values[keep], 0.0, 1.0), index=np.floor(months[keep]).astype(np.int64))
    s = s.groupby(level=0).min()
    if 0 not in s.index:
        s.loc[0] = 1.0
    s = s.sort_index()
    s = s.reindex(np.arange(int(s.index.max()) + 1)).ffill()
    return pd.Series(np.minimum.accumulate(s.to_numpy(float)), index=s.index)


def extrapolate(
    observed_curve: pd.Series | pd.DataFrame,
    model: DiscreteSurvivalModel | None,
    max_month: int = 60,
) -> pd.DataFrame:
    """Keep the observed curve to its last month M, continue with the model's conditional survival.

    Beyond M: S(m) = S_obs(M) * S_model(m) / S_model(M), so the curve is continuous in hazard
    terms and monotone. Gaps in the observed curve are carried forward (step function). With no
    usable model the extrapolated months are NaN with method 'none'. EXTRAPOLATION_SCHEMA rows
    for months 0..max_month.
    """
    obs = _clean_observed(observed_curve)
    last = int(obs.index.max())
    months = np.arange(int(max(max_month, 0)) + 1, dtype=np.int64)
    survival = np.full(months.size, np.nan)
    n_obs = min(last, months[-1]) + 1
    survival[:n_obs] = obs.to_numpy(float)[:n_obs]
    is_ext = months > last
    method = np.where(is_ext, "none", "observed").astype(object)
    usable = (
        model is not None
        and model.params_ is not None
        and all(math.isfinite(v) for v in model.params_.values())
    )
    if usable and is_ext.any():
        log_s = model.log_survival(months[is_ext].astype(float))
        with np.errstate(all="ignore"):
            ratio = np.nan_to_num(np.exp(log_s - model.log_survival(float(last))), nan=0.0)
        tail = float(obs.iloc[-1]) * np.clip(ratio, 0.0, 1.0)
        survival[is_ext] = np.minimum.accumulate(tail)
        method[is_ext] = model.name
    rows = {"month": months, "survival": survival, "is_extrapolated": is_ext, "method": method}
    return pd.DataFrame(rows).astype(EXTRAPOLATION_SCHEMA)
