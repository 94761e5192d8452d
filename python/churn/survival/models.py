"""Parametric discrete-time tail models (churn month T >= 1): sBG, BdW, discrete Weibull and
log-logistic, fitted by maximum likelihood for many groups at once.

Data are life tables (month, n_at_risk, n_events); with a population hazard h(t) the
log-likelihood is sum_t d_t log h(t) + (n_t - d_t) log(1 - h(t)), exact under right censoring
and late entry. Every function takes parameters as a vector (one group) or a (groups x params)
array, works on log S so tails and tiny hazards stay accurate, and evaluates all groups in one
array operation. `fit_life_tables` is the batched optimiser: a damped Newton method over the
stacked log-parameters of every group and start point, each row moving on its own so a group's
result never depends on the other groups in the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln, psi

LIFE_TABLE_COLUMNS = ("month", "n_at_risk", "n_events")
_PENALTY = 1e6  # objective value where the likelihood is not finite
_BOUND_TOL = 1e-3  # a fitted log-parameter this close to its bound is flagged at_bound
_STIRLING_MIN = 30.0  # above this argument the Stirling series is accurate to ~1e-14
_TRIGAMMA_MIN = 10.0  # trigamma's asymptotic series is used from here on
_STEP = 1e-4  # finite-difference step of gradient and Hessian (log-parameter units)
_MAX_ITERATIONS = 300
_MAX_TRIALS = 12  # damping increases tried per iteration before a row counts as settled
# A row has converged when the Newton step would gain less than this much log-likelihood.
_LL_GAIN_TOL = 1e-8

ParamsLike = Mapping[str, float] | Sequence[float] | np.ndarray


def _stirling_tail(z: np.ndarray) -> np.ndarray:
    """lgamma(z) - [(z - 1/2) log z - z + log(2 pi)/2], asymptotic series for z >= 30."""
    zi = 1.0 / z
    zi2 = zi * zi
    return zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 / 1680)))


def _trigamma(z: np.ndarray) -> np.ndarray:
    """psi'(z) for z > 0: the recurrence psi'(z) = psi'(z + 1) + 1/z^2 up to z >= 10, then the
    asymptotic series (relative error below 1e-13); several times faster than scipy's zeta."""
    x = np.array(z, dtype=float)
    total = np.zeros_like(x)
    # The recurrence runs on the small arguments only (gathered once): most cells have none.
    small = np.flatnonzero(x < _TRIGAMMA_MIN)
    x_small, total_small = x[small], total[small]
    for _ in range(int(_TRIGAMMA_MIN)):
        below = x_small < _TRIGAMMA_MIN
        if not below.any():
            break
        total_small = np.where(below, total_small + 1.0 / (x_small * x_small), total_small)
        x_small = np.where(below, x_small + 1.0, x_small)
    x[small], total[small] = x_small, total_small
    xi = 1.0 / x
    xi2 = xi * xi
    series = xi2 * (1 / 6 - xi2 * (1 / 30 - xi2 * (1 / 42 - xi2 * (1 / 30 - xi2 * 5 / 66))))
    return total + xi + 0.5 * xi2 + xi * series


def _lgamma_diff(z: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """lgamma(z + delta) - lgamma(z) for z > 0, delta >= 0, without cancellation at large z."""
    z, delta = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(delta, dtype=float))
    big = z >= _STIRLING_MIN
    out = np.empty(z.shape)
    # Each form is evaluated only where it is used.
    zb, db = z[big], delta[big]
    out[big] = (
        (zb - 0.5) * np.log1p(db / zb)
        + db * (np.log(zb + db) - 1.0)
        + (_stirling_tail(zb + db) - _stirling_tail(zb))
    )
    small = ~big
    out[small] = gammaln(z[small] + delta[small]) - gammaln(z[small])
    return out


def _log_beta_ratio(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log B(a, b + x) - log B(a, b) for x >= 0, accurate also for huge a, b, x.

    Where b >= 30 all four log-gammas use Stirling, and the leading terms are regrouped into
    log1p forms that do not cancel; elsewhere lgamma differences in a are used.
    """
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, x)))
    big = b >= _STIRLING_MIN
    out = np.empty(b.shape)
    if np.any(big):
        ab, bb, xb = a[big], b[big], x[big]
        apb = ab + bb
        out[big] = (
            -ab * np.log1p(xb / apb)
            + (bb - 0.5) * np.log1p(ab * xb / (bb * (apb + xb)))
            - xb * np.log1p(ab / (bb + xb))
            + (_stirling_tail(bb + xb) - _stirling_tail(bb))
            - (_stirling_tail(apb + xb) - _stirling_tail(apb))
        )
    if not np.all(big):
        small = ~big
        a_s, b_s, x_s = a[small], b[small], x[small]
        out[small] = _lgamma_diff(b_s, a_s) - _lgamma_diff(b_s + x_s, a_s)
    return out


def _at_ridge_end(ratio: np.ndarray, bound: float) -> np.ndarray:
    """(alpha, beta) with alpha / beta = ratio and the larger of the two just inside `bound`:
    the end of the ridge along which a beta mixture tends to its homogeneous limit."""
    top = 0.999 * bound
    with np.errstate(all="ignore"):
        alpha = np.where(ratio >= 1.0, top, top * ratio)
        beta = np.where(ratio >= 1.0, top / ratio, top)
    return np.stack([alpha, beta], axis=-1)


def _columns(p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Parameter columns that broadcast against months: scalars for one group, (G, 1) for many."""
    if p.ndim == 1:
        return tuple(p)
    return tuple(p[:, i : i + 1] for i in range(p.shape[1]))


def clean_life_table(life_table: pd.DataFrame) -> pd.DataFrame:
    """Validate a life table and return it aggregated by month, sorted, zero-risk rows dropped.

    Raises ValueError with a short reason so fitters can turn it into a status string.
    """
    if not isinstance(life_table, pd.DataFrame):
        raise ValueError("not a DataFrame")
    missing = [c for c in LIFE_TABLE_COLUMNS if c not in life_table.columns]
    if missing:
        raise ValueError(f"missing columns {missing}")
    frame = pd.DataFrame(
        {c: pd.to_numeric(life_table[c], errors="coerce").astype(float) for c in LIFE_TABLE_COLUMNS}
    )
    reason = life_table_problem(
        frame["month"].to_numpy(), frame["n_at_risk"].to_numpy(), frame["n_events"].to_numpy()
    )
    if reason:
        raise ValueError(reason)
    frame["month"] = frame["month"].astype(np.int64)
    frame = frame.groupby("month", as_index=False, sort=True)[["n_at_risk", "n_events"]].sum()
    return frame[frame["n_at_risk"] > 0].reset_index(drop=True)


def life_table_problem(month: np.ndarray, at_risk: np.ndarray, events: np.ndarray) -> str:
    """Why these life-table rows cannot be fitted ('' when they can)."""
    values = np.column_stack([month, at_risk, events]).astype(float)
    if not np.isfinite(values).all():
        return "non-numeric or missing values"
    if (month < 1).any() or (month != np.round(month)).any():
        return "month must be an integer >= 1"
    if (at_risk < 0).any() or (events < 0).any():
        return "negative counts"
    if (events > at_risk).any():
        return "n_events > n_at_risk"
    return ""


def life_table_from_durations(durations: pd.DataFrame) -> pd.DataFrame:
    """Build a life table from individuals (entry, duration, event), e.g. simulate_durations.

    A player with entry e is at risk in months e+1..duration; the event (if any) is at duration.
    """
    entry = durations["entry"].to_numpy(dtype=np.int64)
    dur = durations["duration"].to_numpy(dtype=np.int64)
    event = durations["event"].to_numpy(dtype=bool)
    keep = dur > entry
    entry, dur, event = entry[keep], dur[keep], event[keep]
    max_month = int(dur.max()) if dur.size else 0
    delta = np.bincount(entry + 1, minlength=max_month + 2)[: max_month + 2].astype(np.int64)
    delta -= np.bincount(dur + 1, minlength=max_month + 2)[: max_month + 2]
    at_risk = np.cumsum(delta)[1 : max_month + 1]
    events = np.bincount(dur[event], minlength=max_month + 1)[1 : max_month + 1]
    return pd.DataFrame(
        {
            "month": np.arange(1, max_month + 1, dtype=np.int64),
            "n_at_risk": at_risk.astype(np.int64),
            "n_events": events.astype(np.int64),
        }
    )


@dataclass(frozen=True)
class BatchFit:
    """Maximum-likelihood fits of one model for a batch of groups (row g = group g).

    `covariance` is the inverse observed information of the log-parameters (zero rows and
    columns for a parameter pinned at its bound); `status` is 'ok' or why not.
    """

    params: np.ndarray  # (groups, params), natural units, NaN where not fitted
    log_likelihood: np.ndarray  # (groups,)
    covariance: np.ndarray  # (groups, params, params)
    at_bound: np.ndarray  # (groups,) bool
    status: np.ndarray  # (groups,) object


class DiscreteSurvivalModel:
    """A tail model family: S(t) on integer months with S(0) = 1, for one or many groups.

    The family is stateless; `fit` on a single life table returns a model carrying the fitted
    state in `_`-suffixed attributes (lifelines' idiom), through the same batched optimiser.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    bounds: ClassVar[tuple[tuple[float, float], ...]] = ()  # natural units, per parameter
    # Deterministic start points: fn(crude hazard (G,)) -> (G, starts, params) natural units.

    def __init__(self) -> None:
        """Create an unfitted model; fitted attributes end with an underscore."""
        self._reset()

    def _reset(self) -> None:
        """Clear fitted state so a failed fit never leaves stale parameters behind."""
        self.params_: dict[str, float] | None = None
        self.covariance_: np.ndarray | None = None
        self.status_: str = "not fitted"
        self.log_likelihood_: float = float("nan")
        self.aic_: float = float("nan")
        self.at_bound_: bool = False

    def __repr__(self) -> str:
        """Show the model name, status and parameters."""
        return f"{type(self).__name__}(status={self.status_!r}, params={self.params_})"

    @property
    def n_params(self) -> int:
        """Number of free parameters (for AIC)."""
        return len(self.param_names)

    @classmethod
    def with_params(cls, params: ParamsLike) -> DiscreteSurvivalModel:
        """Return a model with given parameters and status 'ok', e.g. rebuilt from a stored fit."""
        model = cls()
        model.params_ = dict(zip(cls.param_names, model._as_array(params).tolist(), strict=True))
        model.status_ = "ok"
        return model

    # ---- curve evaluation (vectorised over groups) ---------------------------------------------

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) for float months t >= 0 and parameters p (P,) or (G, P)."""
        raise NotImplementedError

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log(1 - h(t)) = log S(t) - log S(t-1); subclasses may override with a stable form."""
        return self._log_survival(t, p) - self._log_survival(t - 1.0, p)

    def _log_step_derivatives(self, t: np.ndarray, p: np.ndarray) -> tuple[list, list]:
        """First and second derivatives of log(1 - h(t)) in the log-parameters, per cell: t (K,),
        p (K, P); returns [d/dx_i] and [[d2/dx_i dx_j]] as lists of (K,) arrays."""
        raise NotImplementedError

    def _start_points(self, crude_hazard: np.ndarray) -> np.ndarray:
        """Start points (G, starts, P) in natural units given each group's crude hazard (G,)."""
        raise NotImplementedError

    def _as_array(self, params: ParamsLike | None) -> np.ndarray:
        """Parameters as (P,) or (G, P) floats in param_names order (fitted ones if None)."""
        if params is None:
            if self.params_ is None:
                raise ValueError(f"{self.name}: model is not fitted and no params given")
            params = self.params_
        if isinstance(params, Mapping):
            arr = np.array([float(params[k]) for k in self.param_names])
        else:
            arr = np.asarray(params, dtype=float)
            if arr.ndim != 2:
                arr = arr.ravel()
        if arr.shape[-1] != self.n_params:
            raise ValueError(f"{self.name}: expected {self.n_params} params {self.param_names}")
        return arr

    @staticmethod
    def _months(months: np.ndarray | Sequence[float] | float, minimum: int) -> np.ndarray:
        """Months as a float array, checked against the smallest allowed month."""
        t = np.asarray(months, dtype=float)
        if np.any(t < minimum):
            raise ValueError(f"months must be >= {minimum}")
        return t

    def log_survival(
        self, months: np.ndarray | Sequence[float] | float, params: ParamsLike | None = None
    ) -> np.ndarray:
        """log S(m) at months m >= 0; (G, M) for (G, P) params; stable where S underflows."""
        t = self._months(months, 0)
        p = self._as_array(params)
        with np.errstate(all="ignore"):
            return np.asarray(self._log_survival(t, p), dtype=float)

    def survival(
        self, months: np.ndarray | Sequence[float] | float, params: ParamsLike | None = None
    ) -> np.ndarray:
        """S(m) = P(T > m) at integer months m >= 0 (S(0) = 1)."""
        return np.exp(self.log_survival(months, params))

    def hazard(
        self, months: np.ndarray | Sequence[float] | float, params: ParamsLike | None = None
    ) -> np.ndarray:
        """h(t) = P(T = t | T >= t) = 1 - S(t)/S(t-1) at months t >= 1."""
        t = self._months(months, 1)
        p = self._as_array(params)
        with np.errstate(all="ignore"):
            return -np.expm1(np.minimum(self._log_step(t, p), 0.0))

    # ---- likelihood ---------------------------------------------------------------------------

    def log_likelihood_arrays(
        self, months: np.ndarray, at_risk: np.ndarray, events: np.ndarray, params: np.ndarray
    ) -> np.ndarray:
        """Life-table log-likelihood per group: months (M,), counts (G, M), params (G, P).

        Months are summed in a fixed sequential order (a running sum), so a group's value does
        not depend on how many groups or padded months share the array.
        """
        with np.errstate(all="ignore"):
            dl = np.minimum(self._log_step(months, params), 0.0)
            log_h = np.log(-np.expm1(dl))
            survivors = at_risk - events
            terms = np.where(events > 0, events * log_h, 0.0) + np.where(
                survivors > 0, survivors * dl, 0.0
            )
            return np.cumsum(terms, axis=-1)[..., -1]

    def log_likelihood(self, life_table: pd.DataFrame, params: ParamsLike | None = None) -> float:
        """Exact log-likelihood of a life table (right censoring and late entry included)."""
        lt = clean_life_table(life_table)
        p = self._as_array(params)
        value = self.log_likelihood_arrays(
            lt["month"].to_numpy(float),
            lt["n_at_risk"].to_numpy(float)[None, :],
            lt["n_events"].to_numpy(float)[None, :],
            p[None, :],
        )
        return float(value[0])

    # ---- fitting ------------------------------------------------------------------------------

    def log_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the log-parameters."""
        b = np.log(np.asarray(self.bounds, dtype=float))
        return b[:, 0], b[:, 1]

    def fit(self, life_table: pd.DataFrame) -> DiscreteSurvivalModel:
        """Maximum-likelihood fit of one life table; never raises, reports problems in status_."""
        self._reset()
        self.params_ = dict.fromkeys(self.param_names, float("nan"))
        try:
            lt = clean_life_table(life_table)
        except ValueError as exc:
            self.status_ = f"invalid life table: {exc}"
            return self
        months = lt["month"].to_numpy(np.int64)
        width = int(months.max()) if months.size else 1
        at_risk = np.zeros((1, width))
        events = np.zeros((1, width))
        at_risk[0, months - 1] = lt["n_at_risk"].to_numpy(float)
        events[0, months - 1] = lt["n_events"].to_numpy(float)
        result = fit_life_tables(self, at_risk, events)
        self.status_ = str(result.status[0])
        if self.status_ in ("ok", "did not converge"):
            self.params_ = dict(zip(self.param_names, result.params[0].tolist(), strict=True))
            self.covariance_ = result.covariance[0]
            self.log_likelihood_ = float(result.log_likelihood[0])
            self.aic_ = 2.0 * self.n_params - 2.0 * self.log_likelihood_
            self.at_bound_ = bool(result.at_bound[0])
        return self

    # ---- prediction ---------------------------------------------------------------------------

    def predict_survival(self, max_month: int = 60) -> pd.Series:
        """Fitted S(m) for m = 0..max_month as a Series indexed by month (NaN if the fit failed)."""
        months = np.arange(int(max_month) + 1, dtype=np.int64)
        values = self.survival(months)
        return pd.Series(values, index=pd.Index(months, name="month"), name="survival")

    def restricted_mean(self, horizon: int) -> float:
        """Restricted mean active months sum_{m<horizon} S(m): expected active months in horizon."""
        if horizon <= 0:
            return 0.0
        return float(np.sum(self.survival(np.arange(int(horizon)))))


class ShiftedBetaGeometric(DiscreteSurvivalModel):
    """sBG (Fader & Hardie 2007): geometric churn with Beta(alpha, beta) heterogeneity."""

    name = "sbg"
    label = "sBG"
    param_names = ("alpha", "beta")
    bounds = ((1e-4, 1e6), (1e-4, 1e6))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = log B(alpha, beta + t) - log B(alpha, beta)."""
        a, b = _columns(p)
        return _log_beta_ratio(a, b, t)

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log(1 - h(t)) = log1p(-alpha / (alpha + beta + t - 1)), exact for huge alpha, beta."""
        a, b = _columns(p)
        return np.log1p(-a / (a + b + t - 1.0))

    def _log_step_derivatives(self, t: np.ndarray, p: np.ndarray) -> tuple[list, list]:
        """log(1 - h) = log(u) - log(w) with u = beta + t - 1, w = u + alpha, in product forms
        that stay accurate where alpha and beta are huge."""
        a, b = p[:, 0], p[:, 1]
        u = b + t - 1.0
        w = a + u
        d_a = -a / w
        d_b = a * b / (u * w)
        d_aa = -a * u / (w * w)
        d_ab = a * b / (w * w)
        d_bb = d_b * ((t - 1.0) / u - b / w)
        return [d_a, d_b], [[d_aa, d_ab], [d_ab, d_bb]]

    def _start_points(self, crude_hazard: np.ndarray) -> np.ndarray:
        """Mean churn prob alpha/(alpha+beta) = crude hazard at several concentrations."""
        odds = (1.0 - crude_hazard) / crude_hazard
        starts = [np.stack([np.full_like(odds, a), a * odds], -1) for a in (0.3, 1.0, 3.0)]
        starts.append(np.ones((odds.size, 2)))
        starts.append(_at_ridge_end(crude_hazard / (1.0 - crude_hazard), self.bounds[0][1]))
        return np.stack(starts, axis=1)


class BetaDiscreteWeibull(DiscreteSurvivalModel):
    """BdW (Fader, Hardie, Liu, Schwartz, Stevens 2018): sBG with duration dependence c."""

    name = "bdw"
    label = "BdW"
    param_names = ("alpha", "beta", "c")
    bounds = ((1e-4, 1e6), (1e-4, 1e6), (0.02, 10.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = log B(alpha, beta + t^c) - log B(alpha, beta)."""
        a, b, c = _columns(p)
        return _log_beta_ratio(a, b, np.power(t, c))

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) - log S(t-1) as one beta ratio from b + (t-1)^c, avoiding cancellation."""
        a, b, c = _columns(p)
        x0 = np.power(t - 1.0, c)
        return _log_beta_ratio(a, b + x0, np.power(t, c) - x0)

    def _log_step_derivatives(self, t: np.ndarray, p: np.ndarray) -> tuple[list, list]:
        """log(1 - h) = F(t^c) - F((t-1)^c) with F(y) = lgamma(beta + y) - lgamma(alpha + beta + y),
        differentiated through digamma and trigamma."""
        a, b, c = p[:, 0], p[:, 1], p[:, 2]
        first = [np.zeros_like(t) for _ in range(3)]
        second = [[np.zeros_like(t) for _ in range(3)] for _ in range(3)]
        for sign, month in ((1.0, t), (-1.0, t - 1.0)):
            positive = month > 0
            log_month = np.log(np.where(positive, month, 1.0))
            y = np.where(positive, np.power(month, c), 0.0)
            y_c = c * y * log_month  # dy / d log c
            y_cc = y_c * (1.0 + c * log_month)
            f_a = -psi(a + b + y)
            f_b = psi(b + y) + f_a
            f_aa = -_trigamma(a + b + y)
            f_bb = _trigamma(b + y) + f_aa
            terms_1 = (a * f_a, b * f_b, f_b * y_c)
            # The lower triangle (None) is never read: second[j][i] mirrors second[i][j].
            terms_2: tuple[tuple[Any, ...], ...] = (
                (a * f_a + a * a * f_aa, a * b * f_aa, a * f_aa * y_c),
                (None, b * f_b + b * b * f_bb, b * f_bb * y_c),
                (None, None, f_bb * y_c * y_c + f_b * y_cc),
            )
            for i in range(3):
                first[i] = first[i] + sign * terms_1[i]
                for j in range(i, 3):
                    second[i][j] = second[i][j] + sign * terms_2[i][j]
        for i in range(3):
            for j in range(i):
                second[i][j] = second[j][i]
        return first, second

    def nested_starts(self, sbg: np.ndarray, weibull: np.ndarray) -> np.ndarray:
        """Start points (G, 2, 3) at the nested models' optima: sBG is BdW with c = 1, the
        discrete Weibull is BdW's limit alpha, beta -> inf with alpha / beta = lam^-k.

        Starting there, every BdW fit is at least as good as both, and a group whose optimum is
        the Weibull limit starts at the end of the ridge instead of crawling along it."""
        sbg_start = np.concatenate([sbg, np.ones((sbg.shape[0], 1))], axis=1)
        lam, k = weibull[:, 0], weibull[:, 1]
        with np.errstate(all="ignore"):
            ratio = np.power(lam, -k)
        limit = np.concatenate([_at_ridge_end(ratio, self.bounds[0][1]), k[:, None]], axis=1)
        return np.stack([sbg_start, limit], axis=1)

    def _start_points(self, crude_hazard: np.ndarray) -> np.ndarray:
        """sBG starts (c = 1) plus decreasing and increasing duration dependence."""
        odds = (1.0 - crude_hazard) / crude_hazard
        ones = np.ones_like(odds)
        starts = [np.stack([a * ones, a * odds, ones], -1) for a in (0.3, 1.0, 3.0)]
        starts += [np.stack([ones, odds, c * ones], -1) for c in (0.6, 1.5)]
        return np.stack(starts, axis=1)


class DiscreteWeibull(DiscreteSurvivalModel):
    """Discrete Weibull (homogeneous): S(t) = exp(-(t / lam)^k)."""

    name = "weibull"
    label = "Weibull"
    param_names = ("lam", "k")
    bounds = ((1e-8, 1e15), (0.01, 20.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = -(t / lam)^k."""
        lam, k = _columns(p)
        return -np.power(t / lam, k)

    def _log_step_derivatives(self, t: np.ndarray, p: np.ndarray) -> tuple[list, list]:
        """log(1 - h) = A(t - 1) - A(t) with A(m) = (m / lam)^k."""
        lam, k = p[:, 0], p[:, 1]
        first = [np.zeros_like(t), np.zeros_like(t)]
        second = [[np.zeros_like(t), np.zeros_like(t)], [np.zeros_like(t), np.zeros_like(t)]]
        for sign, month in ((-1.0, t), (1.0, t - 1.0)):
            positive = month > 0
            log_ratio = np.where(positive, np.log(np.where(positive, month, 1.0) / lam), 0.0)
            power = np.where(positive, np.exp(k * log_ratio), 0.0)
            kl = k * log_ratio
            terms_1 = (-k * power, kl * power)
            terms_2: tuple[tuple[Any, ...], ...] = (
                (k * k * power, -k * power * (1.0 + kl)),
                (None, kl * power * (1.0 + kl)),
            )
            first = [first[i] + sign * terms_1[i] for i in range(2)]
            for i, j in ((0, 0), (0, 1), (1, 1)):
                second[i][j] = second[i][j] + sign * terms_2[i][j]
        second[1][0] = second[0][1]
        return first, second

    def _start_points(self, crude_hazard: np.ndarray) -> np.ndarray:
        """Match S(1) = 1 - crude hazard for several shapes k."""
        cum = -np.log1p(-crude_hazard)
        starts = [np.stack([cum ** (-1.0 / k), np.full_like(cum, k)], -1) for k in (0.5, 1.0, 2.0)]
        return np.stack(starts, axis=1)


class DiscreteLogLogistic(DiscreteSurvivalModel):
    """Discrete log-logistic: S(t) = 1 / (1 + (t / lam)^k)."""

    name = "loglogistic"
    label = "log-logistic"
    param_names = ("lam", "k")
    bounds = ((1e-8, 1e15), (0.01, 20.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = -log(1 + (t / lam)^k)."""
        lam, k = _columns(p)
        return -np.log1p(np.power(t / lam, k))

    def _log_step_derivatives(self, t: np.ndarray, p: np.ndarray) -> tuple[list, list]:
        """log(1 - h) = G(t) - G(t - 1) with G(m) = -log(1 + A), A = (m / lam)^k, written
        through sigma = A / (1 + A) so a huge A does not overflow."""
        lam, k = p[:, 0], p[:, 1]
        first = [np.zeros_like(t), np.zeros_like(t)]
        second = [[np.zeros_like(t), np.zeros_like(t)], [np.zeros_like(t), np.zeros_like(t)]]
        for sign, month in ((1.0, t), (-1.0, t - 1.0)):
            positive = month > 0
            log_ratio = np.where(positive, np.log(np.where(positive, month, 1.0) / lam), 0.0)
            sigma = np.where(positive, expit(k * log_ratio), 0.0)
            kl = k * log_ratio
            spread = sigma * (1.0 - sigma)
            terms_1 = (k * sigma, -kl * sigma)
            terms_2: tuple[tuple[Any, ...], ...] = (
                (-k * k * spread, k * sigma + k * kl * spread),
                (None, -kl * sigma - kl * kl * spread),
            )
            first = [first[i] + sign * terms_1[i] for i in range(2)]
            for i, j in ((0, 0), (0, 1), (1, 1)):
                second[i][j] = second[i][j] + sign * terms_2[i][j]
        second[1][0] = second[0][1]
        return first, second

    def _start_points(self, crude_hazard: np.ndarray) -> np.ndarray:
        """Match S(1) = 1 - crude hazard for several shapes k."""
        odds = (1.0 - crude_hazard) / crude_hazard
        starts = [np.stack([odds ** (1.0 / k), np.full_like(odds, k)], -1) for k in (0.5, 1.0, 2.0)]
        return np.stack(starts, axis=1)


MODELS: dict[str, type[DiscreteSurvivalModel]] = {
    cls.name: cls
    for cls in (ShiftedBetaGeometric, BetaDiscreteWeibull, DiscreteWeibull, DiscreteLogLogistic)
}
MIXTURE_MODELS: tuple[str, ...] = ("sbg", "bdw")


# ---- the batched optimiser -----------------------------------------------------------------------


def _offsets(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Start of each row's run of cells in a non-decreasing row array, and the end."""
    return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])


@dataclass(frozen=True)
class _Cells:
    """The non-empty life-table cells of a batch of rows, row by row in month order.

    Evaluating only cells with players at risk (a third of a padded table on the sample) and
    summing each row's cells in order with bincount keeps every row's value independent of
    which other rows share the batch.
    """

    row: np.ndarray  # (K,) row of each cell, 0..R-1, non-decreasing
    month: np.ndarray  # (K, 1) float month
    at_risk: np.ndarray  # (K, 1)
    events: np.ndarray  # (K, 1)
    n_rows: int
    offsets: np.ndarray  # (R + 1,) row r's cells are offsets[r]:offsets[r + 1]

    @classmethod
    def from_dense(cls, at_risk: np.ndarray, events: np.ndarray) -> _Cells:
        rows, columns = np.nonzero(at_risk > 0)
        return cls(
            rows,
            (columns + 1.0)[:, None],
            at_risk[rows, columns][:, None],
            events[rows, columns][:, None],
            at_risk.shape[0],
            _offsets(rows, at_risk.shape[0]),
        )

    def subset(self, keep: np.ndarray) -> _Cells:
        """The cells of rows `keep` (sorted row indices), renumbered 0..len(keep)-1.

        Gathered from each row's slice, so the cost follows the rows kept, not all cells: the
        optimiser takes a subset every iteration while its active rows dwindle."""
        lengths = np.diff(self.offsets)[keep]
        total = int(lengths.sum())
        new_offsets = np.concatenate([[0], np.cumsum(lengths)])
        cells = np.repeat(self.offsets[keep] - new_offsets[:-1], lengths) + np.arange(total)
        return _Cells(
            np.repeat(np.arange(keep.size), lengths),
            self.month[cells],
            self.at_risk[cells],
            self.events[cells],
            keep.size,
            new_offsets,
        )

    def log_likelihood(self, model: DiscreteSurvivalModel, params: np.ndarray) -> np.ndarray:
        """Per-row log-likelihood at natural parameters (R, P)."""
        with np.errstate(all="ignore"):
            dl = np.minimum(model._log_step(self.month, params[self.row]), 0.0)
            log_h = np.log(-np.expm1(dl))
            survivors = self.at_risk - self.events
            terms = np.where(self.events > 0, self.events * log_h, 0.0) + np.where(
                survivors > 0, survivors * dl, 0.0
            )
        return np.bincount(self.row, weights=terms[:, 0], minlength=self.n_rows)


def _objective(
    model: DiscreteSurvivalModel, x: np.ndarray, cells: _Cells, scale: np.ndarray
) -> np.ndarray:
    """-LL / (total at risk) per row at log-parameters x (R, P); a penalty where not finite."""
    value = -cells.log_likelihood(model, np.exp(x)) * scale
    return np.where(np.isfinite(value), value, _PENALTY)


def _derivatives(
    model: DiscreteSurvivalModel,
    x: np.ndarray,
    cells: _Cells,
    scale: np.ndarray,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objective, gradient and Hessian per row at log-parameters x (R, P); `centre`, the
    objective at x when the caller has it, saves one evaluation.

    Analytic: each cell's log-likelihood d log h + s log(1 - h) is a function of l = log(1 - h)
    alone, so the chain rule through the model's derivatives of l gives every row's gradient and
    Hessian in one pass over the cells. Rows where that is not finite (an overflowing cell) fall
    back to finite differences.
    """
    centre = _objective(model, x, cells, scale) if centre is None else centre
    rows, n_params = x.shape
    params = np.exp(x)
    with np.errstate(all="ignore"):
        cell_params = params[cells.row]
        month = cells.month[:, 0]
        step = model._log_step(cells.month, cell_params)[:, 0]
        first, second = model._log_step_derivatives(month, cell_params)
        events = cells.events[:, 0]
        survivors = cells.at_risk[:, 0] - events
        inverse = 1.0 / np.expm1(-step)  # (1 - h) / h, as expm1(-l) = h / (1 - h)
        inside = step < 0.0  # where the value is clipped at l = 0 it does not move
        slope = np.where(inside, survivors - np.where(events > 0, events * inverse, 0.0), 0.0)
        curve = np.where(inside & (events > 0), -events * inverse * (1.0 + inverse), 0.0)
        gradient = np.empty((rows, n_params))
        hessian = np.empty((rows, n_params, n_params))
        for i in range(n_params):
            gradient[:, i] = np.bincount(cells.row, slope * first[i], minlength=rows)
            for j in range(i, n_params):
                weights = curve * first[i] * first[j] + slope * second[i][j]
                hessian[:, i, j] = hessian[:, j, i] = np.bincount(
                    cells.row, weights, minlength=rows
                )
        gradient *= -scale[:, None]
        hessian *= -scale[:, None, None]
    broken = ~(np.isfinite(gradient).all(axis=1) & np.isfinite(hessian).all(axis=(1, 2)))
    broken &= centre < _PENALTY
    if broken.any():
        rows_broken = np.flatnonzero(broken)
        _, gradient[rows_broken], hessian[rows_broken] = _difference_derivatives(
            model,
            x[rows_broken],
            cells.subset(rows_broken),
            scale[rows_broken],
            centre[rows_broken],
        )
    return centre, gradient, hessian


def _difference_derivatives(
    model: DiscreteSurvivalModel,
    x: np.ndarray,
    cells: _Cells,
    scale: np.ndarray,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Objective, gradient and Hessian per row by central and second differences; `centre`,
    the objective at x when the caller has it, saves one evaluation.

    One step size serves both: the gradient's truncation error (~1e-9 of the scaled
    objective) moves the optimum's log-likelihood by far less than the fit tolerance.
    """

    def f(point: np.ndarray) -> np.ndarray:
        return _objective(model, point, cells, scale)

    rows, n_params = x.shape
    eye = np.eye(n_params) * _STEP
    centre = f(x) if centre is None else centre
    gradient = np.empty((rows, n_params))
    hessian = np.empty((rows, n_params, n_params))
    up = np.empty((rows, n_params))
    for i in range(n_params):
        up[:, i] = f(x + eye[i])
        down = f(x - eye[i])
        gradient[:, i] = (up[:, i] - down) / (2 * _STEP)
        hessian[:, i, i] = (up[:, i] - 2 * centre + down) / _STEP**2
    for i in range(n_params):
        for j in range(i + 1, n_params):
            both = f(x + eye[i] + eye[j])
            value = (both - up[:, i] - up[:, j] + centre) / _STEP**2
            hessian[:, i, j] = hessian[:, j, i] = value
    return centre, gradient, hessian


@dataclass(frozen=True)
class _NewtonSystem:
    """Each row's gradient in the eigenbasis of its positive-made Hessian, decomposed once per
    iteration and reused by every damping trial.

    The Hessian's eigenvalues are made positive (absolute value, floored) so every step goes
    downhill, even on the flat ridges where sBG and BdW approach their homogeneous limits.
    """

    values: np.ndarray  # (R, P) positive eigenvalues
    vectors: np.ndarray  # (R, P, P)
    projected: np.ndarray  # (R, P) gradient in the eigenbasis
    free: np.ndarray  # (R, P) coordinates not pinned at a bound

    @classmethod
    def build(cls, gradient: np.ndarray, hessian: np.ndarray, free: np.ndarray) -> _NewtonSystem:
        g = np.where(free, gradient, 0.0)
        mask = free[:, :, None] & free[:, None, :]
        eye = np.eye(free.shape[1])
        h = np.where(mask, hessian, 0.0) + np.where(~free, 1.0, 0.0)[:, :, None] * eye
        h = np.where(np.isfinite(h), h, 0.0)
        values, vectors = np.linalg.eigh(h)
        floor = 1e-9 * np.maximum(1e-6, np.abs(values).max(axis=1, keepdims=True))
        values = np.maximum(np.abs(values), floor)
        projected = np.einsum("rij,ri->rj", vectors, g)
        return cls(values, vectors, projected, free)

    def predicted_gain(self) -> np.ndarray:
        """The objective decrease the undamped Newton step predicts, per row."""
        return 0.5 * np.sum(self.projected**2 / self.values, axis=1)

    def step(self, rows: np.ndarray, damping: np.ndarray) -> np.ndarray:
        """Damped Newton step of `rows` over their free coordinates."""
        scaled = self.projected[rows] / (self.values[rows] + damping[:, None])
        step = -np.einsum("rij,rj->ri", self.vectors[rows], scaled)
        return np.where(self.free[rows], step, 0.0)


def _minimise(
    model: DiscreteSurvivalModel,
    x0: np.ndarray,
    cells: _Cells,
    scale: np.ndarray,
    owner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimise the scaled objective from each row's start; returns (x, objective, converged).

    `owner` says which group each row (start point) belongs to: a row that trails its group's
    best row by far more than its own Newton step could gain is dropped from the race.
    """
    lo, hi = model.log_bounds()
    x = np.clip(x0, lo + 1e-6, hi - 1e-6)
    rows = x.shape[0]
    value = _objective(model, x, cells, scale)
    damping = np.full(rows, 1e-6)
    converged = np.zeros(rows, dtype=bool)
    settled = np.zeros(rows, dtype=bool)
    slow = np.zeros(rows, dtype=np.int64)  # consecutive iterations that gained almost nothing
    for _ in range(_MAX_ITERATIONS):
        active = np.flatnonzero(~settled)
        if active.size == 0:
            break
        part = cells.subset(active) if active.size < rows else cells
        xa, sa = x[active], scale[active]
        # value holds each row's objective at x (a row's value never depends on the others).
        fa, ga, ha = _derivatives(model, xa, part, sa, value[active])
        pinned = ((xa - lo < 1e-9) & (ga > 0)) | ((hi - xa < 1e-9) & (ga < 0))
        free = ~pinned
        system = _NewtonSystem.build(ga, ha, free)
        predicted = system.predicted_gain()
        # Converged: the full Newton step would gain less than _LL_GAIN_TOL of log-likelihood.
        done = (predicted / sa < _LL_GAIN_TOL) | (fa >= _PENALTY)
        converged[active[done]] = fa[done] < _PENALTY
        group_best = np.full(owner.max() + 1, np.inf)
        np.minimum.at(group_best, owner, value)
        behind = (value[active] - group_best[owner[active]]) / sa
        losing = ~done & (behind > np.maximum(100.0 * predicted / sa, 1e-6))
        done = done | losing
        settled[active[done]] = True
        lam = damping[active]
        accepted = np.zeros(active.size, dtype=bool)
        for _trial in range(_MAX_TRIALS):
            idx = np.flatnonzero(~done & ~accepted)
            if not idx.size:
                break
            step = system.step(idx, lam[idx])
            candidate = np.clip(xa[idx] + step, lo, hi)
            f_new = _objective(model, candidate, part.subset(idx), sa[idx])
            better = f_new < fa[idx]
            accepted[idx[better]] = True
            xa[idx[better]] = candidate[better]
            fa[idx[better]] = f_new[better]
            lam[idx[better]] = np.maximum(lam[idx[better]] / 10.0, 1e-12)
            lam[idx[~better]] = np.maximum(lam[idx[~better]] * 10.0, 1e-8)
        # A row creeping along a flat ridge (toward a bound) gains less than the tolerance per
        # iteration: three such iterations in a row and it has converged.
        gain = (value[active] - fa) / sa
        slow[active] = np.where(gain < _LL_GAIN_TOL, slow[active] + 1, 0)
        # No damping found a better point: the row sits at the optimum to float precision.
        stuck = ~done & (~accepted | (slow[active] >= 3))
        converged[active[stuck]] = True
        settled[active[stuck]] = True
        x[active] = xa
        value[active] = fa
        damping[active] = lam
    return x, value, converged


def fit_life_tables(
    model: DiscreteSurvivalModel,
    at_risk: np.ndarray,
    events: np.ndarray,
    extra_starts: np.ndarray | None = None,
) -> BatchFit:
    """Fit `model` to every group's life table at once: at_risk, events (G, M) for months 1..M.

    Each group runs from the model's deterministic start points and from `extra_starts`
    (G, S, P) in natural units where finite (a parent group's fit, a nested model's optimum);
    its best optimum is kept. Groups without data, events or survivors get that status and NaN
    parameters. The result of a group depends on its own rows only, never on the batch.
    """
    at_risk = np.asarray(at_risk, dtype=float)
    events = np.asarray(events, dtype=float)
    groups = at_risk.shape[0]
    n_params = model.n_params
    total_at_risk = at_risk.sum(axis=1)
    total_events = events.sum(axis=1)
    status = np.full(groups, "ok", dtype=object)
    status[np.all((events >= at_risk) | (at_risk <= 0), axis=1)] = "no survivors"
    status[total_events <= 0] = "no events"
    status[total_at_risk <= 0] = "no data"
    fittable = np.flatnonzero(status == "ok")

    params = np.full((groups, n_params), np.nan)
    log_likelihood = np.full(groups, np.nan)
    covariance = np.full((groups, n_params, n_params), np.nan)
    at_bound = np.zeros(groups, dtype=bool)
    if fittable.size:
        cells = _Cells.from_dense(at_risk[fittable], events[fittable])
        crude = np.clip(total_events[fittable] / total_at_risk[fittable], 1e-4, 1 - 1e-4)
        starts = model._start_points(crude)
        if extra_starts is not None:
            extra = np.asarray(extra_starts, dtype=float).reshape(groups, -1, n_params)[fittable]
            usable = np.all(np.isfinite(extra) & (extra > 0), axis=2, keepdims=True)
            # An unusable extra start repeats the first default one (same optimum, same rank).
            extra = np.where(usable, extra, starts[:, :1, :])
            starts = np.concatenate([starts, extra], axis=1)
        n_starts = starts.shape[1]
        owner = np.repeat(np.arange(fittable.size), n_starts)
        x0 = np.log(starts.reshape(-1, n_params))
        scale = 1.0 / total_at_risk[fittable][owner]
        start_cells = _Cells.from_dense(at_risk[fittable][owner], events[fittable][owner])
        x, value, converged = _minimise(model, x0, start_cells, scale, owner)
        # Best start per group; the first of equal optima, so the choice is deterministic.
        value = value.reshape(-1, n_starts)
        best = np.argmin(value, axis=1)
        best_value = value[np.arange(fittable.size), best]
        pick = np.arange(fittable.size) * n_starts + best
        x_best = x[pick]
        failed = best_value >= _PENALTY
        lo, hi = model.log_bounds()
        params[fittable] = np.where(failed[:, None], np.nan, np.exp(x_best))
        log_likelihood[fittable] = np.where(
            failed, np.nan, cells.log_likelihood(model, np.exp(x_best))
        )
        covariance[fittable] = _covariance(model, x_best, cells, lo, hi)
        at_bound[fittable] = np.any((x_best - lo < _BOUND_TOL) | (hi - x_best < _BOUND_TOL), axis=1)
        status[fittable] = np.where(converged[pick] & ~failed, "ok", "did not converge")
    return BatchFit(params, log_likelihood, covariance, at_bound, status)


def _covariance(
    model: DiscreteSurvivalModel, x: np.ndarray, cells: _Cells, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Inverse observed information of the log-parameters; zero for parameters at a bound.

    Directions the data cannot tell apart (a flat ridge) get a variance capped at 1 on the log
    scale: along them the curve barely moves, so the cap changes the bands only where it should.
    """
    _, gradient, hessian = _derivatives(model, x, cells, np.ones(x.shape[0]))
    free = ~((x - lo < _BOUND_TOL) | (hi - x < _BOUND_TOL))
    mask = free[:, :, None] & free[:, None, :]
    h = np.where(mask & np.isfinite(hessian), hessian, 0.0)
    values, vectors = np.linalg.eigh(h)
    inverse = 1.0 / np.maximum(values, 1.0)
    cov = np.einsum("rik,rk,rjk->rij", vectors, inverse, vectors)
    cov = np.where(mask, cov, 0.0)
    return np.where(np.isfinite(gradient).all(axis=1)[:, None, None], cov, np.nan)


def simulate_durations(
    model: str | DiscreteSurvivalModel | type[DiscreteSurvivalModel],
    params: ParamsLike,
    n: int,
    rng: np.random.Generator,
    censor_at: int | np.ndarray | None = None,
    entry: int | np.ndarray | None = None,
) -> pd.DataFrame:
    """Draw n integer churn months from a model (exact inverse-CDF), for recovery tests.

    `entry` e (scalar or per player, default 0) conditions on T > e (late entry); `censor_at` c
    (absolute month, >= entry) means known alive through c, so duration = min(T, c) and
    event = T <= c. Returns columns entry, duration, event, true_duration.
    """
    if isinstance(model, str):
        model = MODELS[model]()
    elif isinstance(model, type):
        model = model()
    p = model._as_array(params)
    e = np.broadcast_to(np.asarray(0 if entry is None else entry, dtype=np.int64), (n,)).copy()
    u = 1.0 - rng.random(n)  # in (0, 1]

    def log_s(m: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return model._log_survival(m.astype(float), p)

    target = np.log(u) + log_s(e)  # T = min{t > e : log S(t) < target}
    lo = e.copy()  # invariant: log S(lo) >= target
    hi = np.maximum(2 * e, 1)
    cap = np.int64(2) ** 60
    for _ in range(64):
        need = log_s(hi) >= target
        if not need.any():
            break
        lo = np.where(need, hi, lo)
        hi = np.where(need, np.minimum(hi * 2, cap), hi)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        below = log_s(mid) < target
        hi = np.where(below, mid, hi)
        lo = np.where(below, lo, mid)
    true_t = hi
    if censor_at is None:
        duration, event = true_t, np.ones(n, dtype=bool)
    else:
        c = np.broadcast_to(np.asarray(censor_at, dtype=np.int64), (n,))
        if np.any(c < e):
            raise ValueError("censor_at must be >= entry")
        event = true_t <= c
        duration = np.where(event, true_t, c)
    return pd.DataFrame({"entry": e, "duration": duration, "event": event, "true_duration": true_t})
