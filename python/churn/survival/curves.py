"""Survival curves 0..60 for every group and segment at once: the pooled Kaplan-Meier with its
bands over the observed months, then the tail, S_obs(M) x S_model(m) / S_model(M), with bands
that carry the tail fit's parameter uncertainty and the choice between candidate models.

The pooled curve and its bands are computed here only (the SQL gives the counts, the pooled
hazards and the group's own Kaplan-Meier); `anchored_tail` is the one tail anchoring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.stats import norm

from churn.frames import conform
from churn.progress import Progress
from churn.survival.models import MODELS, DiscreteSurvivalModel

GROUP_KEYS = ["pooling_level", "partner_id", "geo"]
CURVE_KEYS = [*GROUP_KEYS, "segment_type", "segment_value"]
CANDIDATES: tuple[str, ...] = ("sbg", "weibull", "loglogistic", "bdw")
Z_95 = float(norm.ppf(0.975))
MAX_MONTH = 60
MAX_PARAMS = 3
PARENT_LEVEL = {"partition": "partner", "partner": "all", "all": None}

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


def tail_log_ratio(
    model: DiscreteSurvivalModel, params: np.ndarray, last_month: np.ndarray, months: np.ndarray
) -> np.ndarray:
    """log S_model(m) - log S_model(M) per row: params (R, P), last_month (R,), months (R, K)."""
    with np.errstate(all="ignore"):
        return model._log_survival(months, params) - model._log_survival(
            np.asarray(last_month, float)[:, None], params
        )


def usable_weights(ratios: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The choice weights (curves, candidates) per month (curves, candidates, months), over the
    candidates that have a log ratio there: one without (a failed fit) drops out and the others'
    weights are renormalised to sum to 1; all 0 where no weighted candidate has one. The served
    tail and its band's spread and parameter variance weigh with these same weights."""
    usable = ~np.isnan(ratios)
    w = np.where(usable, np.nan_to_num(np.asarray(weight, float))[:, :, None], 0.0)
    total = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)


def combined_log_ratio(ratios: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The served tail's log S(m) / S(M): the candidates' log ratios (curves, candidates, months)
    averaged with their choice weights (curves, candidates), a forecast combination over the
    candidates with a ratio (`usable_weights`). NaN where no weighted candidate has one."""
    w = usable_weights(ratios, weight)
    mean = (w * np.where(np.isnan(ratios), 0.0, ratios)).sum(axis=1)
    return np.where(w.sum(axis=1) > 0, mean, np.nan)


def extrapolation_variance(
    floor: np.ndarray | float, rate: np.ndarray | float, reach: np.ndarray | float, horizon
) -> np.ndarray:
    """The variance of log S the backtest showed a tail misses by h months beyond the data:
    floor + rate x h x min(h, reach) for h >= 1 (0 at h = 0). Within the horizons the backtest
    checked it grows like h^2 (a hazard off by a constant); beyond them it is not assumed to keep
    accelerating: linear in h, as a random walk of the hazard error would (continuous at the
    reach)."""
    h = np.maximum(np.asarray(horizon, float), 0.0)
    return floor * (h > 0) + rate * h * np.minimum(h, reach)


def anchored_tail(
    model: DiscreteSurvivalModel,
    params: np.ndarray,
    anchor: np.ndarray,
    last_month: np.ndarray,
    months: np.ndarray,
) -> np.ndarray:
    """The tail anchoring: S(m) = S_obs(M) x S_model(m) / S_model(M) for m > M, per row.

    Continuous with the observed curve at M in hazard terms and monotone; a ratio that
    underflows counts as 0.
    """
    ratio = np.exp(tail_log_ratio(model, params, last_month, months))
    ratio = np.clip(np.nan_to_num(ratio, nan=0.0), 0.0, 1.0)
    return np.asarray(anchor, float)[:, None] * ratio


def _ratio_variance(
    model: DiscreteSurvivalModel,
    params: np.ndarray,
    covariance: np.ndarray,
    last_month: np.ndarray,
    months: np.ndarray,
) -> np.ndarray:
    """Delta-method variance of the tail's log ratio from the fit's log-parameter covariance."""
    n_params = model.n_params
    x = np.log(params[:, :n_params])
    step = 1e-5
    jacobian = []
    for i in range(n_params):
        shift = np.zeros(n_params)
        shift[i] = step
        up = tail_log_ratio(model, np.exp(x + shift), last_month, months)
        down = tail_log_ratio(model, np.exp(x - shift), last_month, months)
        jacobian.append((up - down) / (2 * step))
    jac = np.stack(jacobian, axis=-1)  # (R, K, P)
    cov = np.nan_to_num(covariance[:, :n_params, :n_params])
    return np.einsum("rkp,rpq,rkq->rk", jac, cov, jac)


def _log_log_band(survival: np.ndarray, log_variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-log 95% band from Var(log S), as lifelines computes it for Kaplan-Meier."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_s = np.log(survival)
        spread = Z_95 * np.sqrt(log_variance) / log_s
        lower = np.exp(-np.exp(np.log(-log_s) - spread))
        upper = np.exp(-np.exp(np.log(-log_s) + spread))
    lower = np.where(log_s == 0, 1.0, np.where(survival <= 0, 0.0, lower))
    upper = np.where(log_s == 0, 1.0, np.where(survival <= 0, 0.0, upper))
    return lower, upper


def pooled_log_variance(
    survival: np.ndarray,
    effective_at_risk: np.ndarray,
    effective_events: np.ndarray,
    level_log_variance: np.ndarray,
    raw_survival: np.ndarray,
    raw_log_variance: np.ndarray,
) -> np.ndarray:
    """Variance of log S for pooled curves (curves x months), aware that shrinkage can be biased.

    The posterior part: Greenwood on the effective counts (the prior's pseudo-players included)
    plus the error shared by all months through the group's relative risk,
    Lambda_t^2 Var(log RR). Where the pooled curve departs from the group's own Kaplan-Meier,
    that departure squared (a bias estimate) is added, but never beyond the Kaplan-Meier's own
    variance: pooling may narrow a band, never widen it beyond the data's.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(
            (effective_at_risk > 0) & (effective_events < effective_at_risk),
            effective_events / (effective_at_risk * (effective_at_risk - effective_events)),
            0.0,
        )
        log_s = np.log(survival)
        posterior = np.cumsum(np.nan_to_num(term), axis=-1) + log_s**2 * level_log_variance
        departure = np.nan_to_num((log_s - np.log(raw_survival)) ** 2, nan=0.0, posinf=np.inf)
    return np.maximum(posterior, np.minimum(raw_log_variance, departure + posterior))


@dataclass
class Tails:
    """Per curve: the chosen tail model (index into CANDIDATES, -1 for none), every candidate's
    parameters, covariance and choice weight (the served tail is the weighted combination), and
    the backtest's error variance of the served tail's log S by months beyond the data, and how
    many months beyond the data the group's own backtest checked (0: none of its own)."""

    chosen: np.ndarray  # (C,) int
    method: np.ndarray  # (C,) object
    params: np.ndarray  # (C, candidates, MAX_PARAMS)
    covariance: np.ndarray  # (C, candidates, MAX_PARAMS, MAX_PARAMS)
    weight: np.ndarray  # (C, candidates)
    error_variance: np.ndarray  # (C, MAX_MONTH + 1) by horizon h = 0..MAX_MONTH
    backtest_reach: np.ndarray  # (C,) months

    @classmethod
    def none(cls, n: int) -> Tails:
        """n curves without a tail (filled in per group by the callers)."""
        return cls(
            np.full(n, -1),
            np.full(n, "none", dtype=object),
            np.full((n, len(CANDIDATES), MAX_PARAMS), np.nan),
            np.zeros((n, len(CANDIDATES), MAX_PARAMS, MAX_PARAMS)),
            np.zeros((n, len(CANDIDATES))),
            np.zeros((n, MAX_MONTH + 1)),
            np.zeros(n),
        )


def _dense(frame: pd.DataFrame, keys: list[str], max_month: int):
    """Curve index (sorted keys) and a function giving (curves x months 0..max) arrays."""
    curves = frame[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    row = frame[keys].merge(curves.reset_index(), on=keys, how="left")["index"].to_numpy()
    month = frame["month_number"].to_numpy(np.int64)
    keep = (month >= 0) & (month <= max_month)

    def dense(column: str, fill: float = np.nan) -> np.ndarray:
        out = np.full((len(curves), max_month + 1), fill)
        out[row[keep], month[keep]] = frame[column].to_numpy(float)[keep]
        return out

    return curves, row, dense


def assemble(
    frame: pd.DataFrame, keys: list[str], tails_for, max_month: int = MAX_MONTH
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Curves for every key combination in `frame` (curve inputs rows), months 0..max_month.

    `tails_for(curves)` gives the Tails aligned with the sorted curve index."""
    curves, row, dense = _dense(frame, keys, max_month)
    months = np.arange(max_month + 1)
    at_risk = dense("n_at_risk", 0.0)
    observed = at_risk > 0
    last = np.where(observed, months, 0).max(axis=1)
    is_extrapolated = months[None, :] > last[:, None]

    hazard = np.where(is_extrapolated, np.nan, dense("pooled_hazard"))
    step = np.where(is_extrapolated | (months == 0), 1.0, 1.0 - np.nan_to_num(hazard))
    survival = np.where(is_extrapolated, np.nan, np.cumprod(step, axis=1))
    effective_at_risk = at_risk + np.nan_to_num(dense("prior_strength_months"))
    effective_events = np.nan_to_num(hazard) * effective_at_risk
    level_var = np.nanmax(
        np.nan_to_num(dense("relative_risk_log_variance", 0.0)), axis=1, keepdims=True
    )
    raw_survival = dense("raw_survival")
    raw_survival[:, 0] = 1.0
    raw_var = np.nan_to_num(dense("raw_greenwood_sum", 0.0))
    log_var = pooled_log_variance(
        survival,
        np.where(is_extrapolated, 0, effective_at_risk),
        np.where(is_extrapolated, 0, effective_events),
        level_var,
        raw_survival,
        raw_var,
    )
    lower, upper = _log_log_band(survival, log_var)

    tails = tails_for(curves)
    n_curves = len(curves)
    anchor = survival[np.arange(n_curves), last]
    anchor_var = log_var[np.arange(n_curves), last]
    tail_months = np.broadcast_to(months.astype(float), survival.shape)
    ratios = np.full((n_curves, len(CANDIDATES), max_month + 1), np.nan)
    variances = np.zeros((n_curves, len(CANDIDATES), max_month + 1))
    for k, name in enumerate(CANDIDATES):
        model = MODELS[name]()
        n_params = model.n_params
        p = tails.params[:, k, :n_params]
        uses = ((tails.weight[:, k] > 0) | (tails.chosen == k)) & np.isfinite(p).all(axis=1)
        if uses.any():
            ratios[uses, k] = np.minimum(
                tail_log_ratio(model, p[uses], last[uses], tail_months[uses]), 0.0
            )
            variances[uses, k] = _ratio_variance(
                model, p[uses], tails.covariance[uses, k], last[uses], tail_months[uses]
            )
    has_tail = tails.chosen >= 0
    pick = np.maximum(tails.chosen, 0)
    weighted = np.nan_to_num(tails.weight).sum(axis=1) > 0
    # The served tail: the candidates' log tails averaged with their choice weights (each
    # candidate has its own bias at long horizons, and the one chosen on a short backtest is
    # often the most biased there); the chosen fit alone where no weights are given.
    combined = combined_log_ratio(ratios, tails.weight)
    served_ratio = np.where(
        weighted[:, None] & ~np.isnan(combined), combined, ratios[np.arange(n_curves), pick]
    )
    # The band's second moment around the served tail: the fits' parameter variance (weighted
    # over the candidates, the chosen fit's alone where no weights are given) plus how far the
    # served tail can miss. The group's own backtest measured that for the served tail itself as
    # far as it reached (R months beyond the data); the candidates' weighted squared distance
    # from it (the choice between models) adds only what it grows by beyond that reach, and
    # counts in full for a group without a backtest of its own (its error is its parent's).
    # Taking the larger of the two everywhere counted the choice twice where the backtest had
    # looked: baseline seed 2 covered 1.000 at 25-36 months beyond the data.
    weight = usable_weights(ratios, tails.weight)
    spread = np.einsum("ckm,ckm->cm", weight, np.nan_to_num(ratios - served_ratio[:, None, :]) ** 2)
    spread = np.where(weighted[:, None], spread, 0.0)
    parameter_var = np.where(
        weighted[:, None],
        np.einsum("ckm,ckm->cm", weight, variances),
        variances[np.arange(n_curves), pick],
    )
    beyond = np.maximum(months[None, :] - last[:, None], 0)
    horizon = np.minimum(beyond, tails.error_variance.shape[1] - 1)
    backtest_var = np.take_along_axis(tails.error_variance, horizon, axis=1)
    seen = np.minimum(beyond, tails.backtest_reach[:, None]).astype(np.int64)
    spread_seen = np.take_along_axis(spread, np.minimum(last[:, None] + seen, max_month), axis=1)
    tail_var = parameter_var + backtest_var + np.maximum(spread - spread_seen, 0.0)

    fill = is_extrapolated & has_tail[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        tail_survival = anchor[:, None] * np.exp(served_ratio)
    survival = np.where(fill, np.clip(np.nan_to_num(tail_survival), 0.0, 1.0), survival)
    tail_lower, tail_upper = _log_log_band(survival, anchor_var[:, None] + tail_var)
    lower = np.where(fill, np.minimum(tail_lower, survival), lower)
    upper = np.where(fill, np.maximum(tail_upper, survival), upper)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail_hazard = np.concatenate(
            [np.full((n_curves, 1), np.nan), 1.0 - survival[:, 1:] / survival[:, :-1]], axis=1
        )
    hazard = np.where(fill, tail_hazard, hazard)
    method = np.where(is_extrapolated, tails.method[:, None], "pooled kaplan-meier")
    pooling_weight = dense("pooling_weight")
    pooling_weight[:, 0] = 1.0
    columns = {
        "month_number": np.tile(months, n_curves),
        "survival": survival.ravel(),
        "survival_lower": lower.ravel(),
        "survival_upper": upper.ravel(),
        "hazard": hazard.ravel(),
        "raw_survival": raw_survival.ravel(),
        "n_at_risk": dense("n_at_risk").ravel(),
        "n_events": dense("n_events").ravel(),
        "n_censored": dense("n_censored").ravel(),
        "is_extrapolated": is_extrapolated.ravel(),
        "method": method.ravel(),
        "pooling_weight": pooling_weight.ravel(),
    }
    out = curves.loc[curves.index.repeat(max_month + 1)].reset_index(drop=True)
    for name, values in columns.items():
        out[name] = values
    return out, {"row": row}


def _group_tails(fits: pd.DataFrame) -> dict[tuple, dict]:
    """Per group: its own chosen candidate (or None), every candidate's fit and weight, and the
    backtest's error variance of its served tail by horizon."""
    # Plain rows (dicts) rather than iterrows' Series: one fits row per group and candidate.
    rows = fits.to_dict("records")
    tails: dict[tuple, dict] = {}
    groups = fits.groupby(GROUP_KEYS, sort=True).indices
    for key, positions in sorted(groups.items()):
        params = np.full((len(CANDIDATES), MAX_PARAMS), np.nan)
        cov = np.zeros((len(CANDIDATES), MAX_PARAMS, MAX_PARAMS))
        weight = np.zeros(len(CANDIDATES))
        cutoff: list[dict] = [{} for _ in CANDIDATES]
        chosen, error, reach = -1, None, 0.0
        for position in positions:
            fit = rows[position]
            if fit["model"] not in CANDIDATES:
                continue
            k = CANDIDATES.index(fit["model"])
            if fit["status"] == "ok":
                values = json.loads(fit["params"] or "{}")
                names = MODELS[fit["model"]].param_names
                params[k, : len(names)] = [
                    np.nan if values.get(n) is None else values[n] for n in names
                ]
                matrix = _json_or_none(fit.get("param_covariance"))
                if matrix is not None:
                    cov[k, : len(names), : len(names)] = np.nan_to_num(
                        np.asarray(matrix, dtype=float)
                    )
                weight[k] = float(np.nan_to_num(fit.get("choice_weight", 0.0)))
                cutoff[k] = _json_or_none(fit.get("cutoff_params")) or {}
                if bool(fit["is_chosen"]) and np.isfinite(params[k, : len(names)]).all():
                    chosen = k
                    error, reach = _backtest_error(fit, cutoff[k])
        tails[cast(tuple, key)] = {
            "chosen": chosen,
            "params": params,
            "covariance": cov,
            "weight": weight,
            "error": error,
            "reach": reach,
            "cutoff": cutoff,
        }
    _inherit_missing_errors(tails)
    return tails


def _json_or_none(text: Any) -> Any:
    """A JSON column's value; None for SQL null (NaN once in a frame) or an empty text."""
    return json.loads(text) if isinstance(text, str) and text else None


def _backtest_error(fit: dict, cutoff: dict) -> tuple[np.ndarray | None, float]:
    """The chosen row's backtest error variance of the served tail by horizon 0..MAX_MONTH and
    how many months beyond the data the backtest reached; (None, 0) without a backtest. Fits
    that carry no served-tail columns (built by hand) give the chosen candidate's own error."""
    served = float(fit.get("served_log_error_rate", np.nan))
    prefix = "served" if np.isfinite(served) else "backtest"
    rate = float(fit.get(f"{prefix}_log_error_rate", np.nan))
    if not np.isfinite(rate):
        return None, 0.0
    floor = float(np.nan_to_num(fit.get(f"{prefix}_log_error_floor", 0.0)))
    # How far the backtest reached: its longest cutoff (unknown: as far as the curve goes).
    reach = float(max((int(offset) for offset in cutoff), default=np.inf))
    return extrapolation_variance(floor, rate, reach, np.arange(MAX_MONTH + 1)), reach


def _inherit_missing_errors(tails: dict[tuple, dict]) -> None:
    """A group too young for a backtest of its own (no earlier cutoff with months to check)
    takes its parent's backtest error, in place, so that exactly the longest tails do not go
    without extrapolation error; filled coarse to fine, none anywhere counts 0. Its reach stays
    0: the parent's backtest never looked at this group's tail, so the candidates' spread counts
    in full in its band. A group with a
    backtest keeps its own, even zero (its check's noise explains its misses): the band still
    has the fits' parameter variance and the candidates' spread. Neither the parent's error nor
    the mean of the group's peers is a cleaner measure of it: the parent's curve mixes unlike
    groups, so its tail misses by more, and a few groups with large floors dominate the peers'
    mean. Shrinking toward either (weight n / (n + 36) on the own for n checked months) gave
    coverage 0.99-1.00 at every horizon on the baseline validation, against 0.93-0.96 own."""
    order = {"all": 0, "partner": 1, "partition": 2}
    for key in sorted(tails, key=lambda key: order.get(key[0], 3)):
        parent_key = _parent_key(key)
        parent = tails.get(parent_key) if parent_key else None
        if tails[key]["error"] is None and parent is not None:
            tails[key]["error"] = parent["error"]


def _parent_key(key: tuple) -> tuple | None:
    level, partner_id, _ = key
    parent = PARENT_LEVEL.get(level)
    if parent == "partner":
        return ("partner", partner_id, "_all")
    if parent == "all":
        return ("all", "_all", "_all")
    return None


def _resolve(key: tuple | None, tails: dict) -> tuple[dict | None, str]:
    """The group's own tail, else the nearest ancestor's, with the method label."""
    suffix = ""
    while key is not None:
        tail = tails.get(key)
        if tail is not None and tail["chosen"] >= 0:
            return tail, f"{CANDIDATES[tail['chosen']]}{suffix}"
        key = _parent_key(key)
        suffix = " (parent tail)"
    return None, "none"


def _curve_tails(fits: pd.DataFrame):
    """A tails_for function for churn_survival_curves: segments share their group's tail."""
    tails = _group_tails(fits)

    def tails_for(curves: pd.DataFrame) -> Tails:
        n = len(curves)
        out = Tails.none(n)
        for i, (level, partner_id, geo, segment_type) in enumerate(
            curves[[*GROUP_KEYS, "segment_type"]].itertuples(index=False)
        ):
            tail, method = _resolve((level, partner_id, geo), tails)
            if tail is None:
                continue
            if segment_type != "all" and "(parent tail)" not in method:
                method = f"{method} (group tail)"
            out.chosen[i], out.method[i] = tail["chosen"], method
            out.params[i], out.covariance[i], out.weight[i] = (
                tail["params"],
                tail["covariance"],
                tail["weight"],
            )
            if tail["error"] is not None:
                out.error_variance[i] = tail["error"]
            out.backtest_reach[i] = tail["reach"]
        return out

    return tails_for


def columns_frame(table, columns: list[str], optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """The named columns of a pandas frame, an Arrow table or an Arrow batch reader (what
    `dbt.ref(...).arrow()` gives) as a pandas frame; only these columns are converted.
    `optional` columns may be absent (then null)."""
    if hasattr(table, "read_all"):
        table = table.read_all()
    names = list(table.columns) if isinstance(table, pd.DataFrame) else table.column_names
    out = {}
    for column in columns:
        if column not in names and column in optional:
            out[column] = np.full(len(table), np.nan)
        elif isinstance(table, pd.DataFrame):
            out[column] = table[column].to_numpy()
        else:
            out[column] = table.column(column).to_numpy(zero_copy_only=False)
    return pd.DataFrame(out)


INPUT_COLUMNS = [
    "month_number",
    "n_players",
    "n_at_risk",
    "n_events",
    "n_censored",
    "pooled_hazard",
    "pooling_weight",
    "prior_strength_months",
    "relative_risk_log_variance",
    "raw_survival",
    "raw_greenwood_sum",
]


def assemble_curves(curve_inputs, fits, max_month: int = MAX_MONTH) -> pd.DataFrame:
    """Every curve (group x segment) at the export, months 0..max_month, as CURVE_SCHEMA rows.

    `curve_inputs`: int_survival__curve_inputs at cutoff offset 0 (pandas or Arrow);
    `fits`: churn_survival_fits."""
    frame = columns_frame(curve_inputs, [*CURVE_KEYS, *INPUT_COLUMNS])
    fits = columns_frame(fits, _FIT_COLUMNS, _OPTIONAL_FIT_COLUMNS)
    if frame.empty:
        return conform(pd.DataFrame(columns=[c for c, _ in CURVE_SCHEMA]), CURVE_SCHEMA)
    progress = Progress("churn_survival_curves", frame[CURVE_KEYS].drop_duplicates().shape[0])
    out, index = assemble(frame, CURVE_KEYS, _curve_tails(fits), max_month)
    # Each curve's player count (its first non-null), by the curve number assemble gave each
    # input row: out holds curve c's months at rows c * (max_month + 1) onwards.
    n_curves = len(out) // (max_month + 1)
    players = frame["n_players"].groupby(index["row"]).first().reindex(range(n_curves))
    out["n_players"] = np.repeat(players.to_numpy(), max_month + 1)
    progress.step(progress.total, "curves assembled")
    return conform(out, CURVE_SCHEMA)


_FIT_COLUMNS = [
    *GROUP_KEYS,
    "model",
    "status",
    "params",
    "param_covariance",
    "cutoff_params",
    "choice_weight",
    "backtest_log_error_rate",
    "backtest_log_error_floor",
    "served_log_error_rate",
    "served_log_error_floor",
    "is_chosen",
]
# Without them a tail band has only the anchor's variance (e.g. fits rebuilt by hand).
_OPTIONAL_FIT_COLUMNS = (
    "param_covariance",
    "cutoff_params",
    "choice_weight",
    "backtest_log_error_rate",
    "backtest_log_error_floor",
    "served_log_error_rate",
    "served_log_error_floor",
)


def backtest_curves(fit_inputs, fits, max_month: int = MAX_MONTH) -> pd.DataFrame:
    """Predicted vs realised survival of every group that chose its own tail, at each earlier
    cutoff, month by month: the pooled curve known at the cutoff continued by the served tail,
    the candidates' fits at that cutoff (kept in churn_survival_fits.cutoff_params, never
    refitted) combined with the group's choice weights; realised is the Kaplan-Meier the export
    later showed for the same players. `model` names the chosen candidate."""
    columns = [*GROUP_KEYS, "role", "cutoff_offset_months", "survival", *INPUT_COLUMNS]
    frame = columns_frame(fit_inputs, [c for c in columns if c != "n_players"])
    fits = columns_frame(fits, _FIT_COLUMNS, _OPTIONAL_FIT_COLUMNS)
    tails = _group_tails(fits)
    keys = [*GROUP_KEYS, "cutoff_offset_months"]
    train = frame[(frame["role"] == "train") & (frame["cutoff_offset_months"] > 0)]
    own = {key for key, tail in tails.items() if tail["chosen"] >= 0}
    train = train[[tuple(k) in own for k in train[GROUP_KEYS].itertuples(index=False)]]
    if train.empty:
        return conform(
            pd.DataFrame(columns=[c for c, _ in BACKTEST_CURVE_SCHEMA]), BACKTEST_CURVE_SCHEMA
        )

    def tails_for(curves: pd.DataFrame) -> Tails:
        n = len(curves)
        out = Tails.none(n)
        for i, (*group, offset) in enumerate(curves[keys].itertuples(index=False)):
            tail = tails[tuple(group)]
            k = tail["chosen"]
            if str(int(offset)) not in tail["cutoff"][k]:
                continue
            for j, name in enumerate(CANDIDATES):
                values = tail["cutoff"][j].get(str(int(offset)))
                if values is not None:
                    names = MODELS[name].param_names
                    out.params[i, j, : len(names)] = [
                        np.nan if values.get(n) is None else values[n] for n in names
                    ]
            out.chosen[i], out.method[i], out.weight[i] = k, CANDIDATES[k], tail["weight"]
        return out

    out, _ = assemble(train, keys, tails_for, max_month)
    out["model"] = (
        out[GROUP_KEYS].apply(tuple, axis=1).map(lambda key: CANDIDATES[tails[key]["chosen"]])
    )
    realised = frame[(frame["role"] == "holdout") & (frame["cutoff_offset_months"] > 0)]
    realised = realised[[*keys, "month_number", "survival"]].rename(
        columns={"survival": "realised_survival"}
    )
    out = out.merge(realised, on=[*keys, "month_number"], how="left")
    horizon = realised.groupby(keys)["month_number"].max().rename("realised_max")
    out = out.merge(horizon.reset_index(), on=keys, how="inner")
    out = out[out["month_number"] <= out["realised_max"]]
    out.loc[out["month_number"] == 0, "realised_survival"] = 1.0
    out = out.rename(columns={"survival": "predicted_survival"})
    out = out.sort_values([*keys, "month_number"]).reset_index(drop=True)
    return conform(out, BACKTEST_CURVE_SCHEMA)
