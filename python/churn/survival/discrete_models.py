"""Parametric discrete-time survival models (churn month T >= 1) fitted by maximum likelihood.

Data are life tables (month, n_at_risk, n_events); with a population hazard h(t) the
log-likelihood is sum_t d_t log h(t) + (n_t - d_t) log(1 - h(t)), exact under right censoring
and late entry. Every model works on log S internally so tails and tiny hazards stay accurate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

LIFE_TABLE_COLUMNS = ("month", "n_at_risk", "n_events")
_PENALTY = 1e6  # objective value for parameters where the likelihood is not finite
_BOUND_TOL = 1e-3  # a fitted log-parameter this close to its bound is flagged at_bound_

ParamsLike = Mapping[str, float] | Sequence[float] | np.ndarray
_STIRLING_MIN = 30.0  # above this argument the Stirling series is accurate to ~1e-14


def _stirling_tail(z: np.ndarray) -> np.ndarray:
    """lgamma(z) - [(z - 1/2) log z - z + log(2 pi)/2], asymptotic series for z >= 30."""
    zi = 1.0 / z
    zi2 = zi * zi
    return zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 / 1680)))


def _lgamma_diff(z: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """lgamma(z + delta) - lgamma(z) for z > 0, delta >= 0, without cancellation at large z."""
    z, delta = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(delta, dtype=float))
    big = z >= _STIRLING_MIN
    zb = np.where(big, z, _STIRLING_MIN)
    stirling = (
        (zb - 0.5) * np.log1p(delta / zb)
        + delta * (np.log(zb + delta) - 1.0)
        + (_stirling_tail(zb + delta) - _stirling_tail(zb))
    )
    direct = gammaln(z + delta) - gammaln(z)
    return np.where(big, stirling, direct)


def _log_beta_ratio(a: float, b: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """log B(a, b + x) - log B(a, b) for x >= 0, accurate also for huge a, b, x.

    Where b >= 30 all four log-gammas use Stirling, and the leading terms are regrouped into
    log1p forms that do not cancel; elsewhere lgamma differences in a are used.
    """
    b, x = np.broadcast_arrays(np.asarray(b, dtype=float), np.asarray(x, dtype=float))
    big = b >= _STIRLING_MIN
    out = np.empty(b.shape)
    if np.any(big):
        bb, xb = b[big], x[big]
        ab = a + bb
        out[big] = (
            -a * np.log1p(xb / ab)
            + (bb - 0.5) * np.log1p(a * xb / (bb * (ab + xb)))
            - xb * np.log1p(a / (bb + xb))
            + (_stirling_tail(bb + xb) - _stirling_tail(bb))
            - (_stirling_tail(ab + xb) - _stirling_tail(ab))
        )
    if not np.all(big):
        bs, xs = b[~big], x[~big]
        out[~big] = _lgamma_diff(bs, a) - _lgamma_diff(bs + xs, a)
    return out


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
    values = frame.to_numpy()
    if not np.isfinite(values).all():
        raise ValueError("non-numeric or missing values")
    if (frame["month"] < 1).any() or (frame["month"] != np.round(frame["month"])).any():
        raise ValueError("month must be an integer >= 1")
    if (frame["n_at_risk"] < 0).any() or (frame["n_events"] < 0).any():
        raise ValueError("negative counts")
    if (frame["n_events"] > frame["n_at_risk"]).any():
        raise ValueError("n_events > n_at_risk")
    frame["month"] = frame["month"].astype(np.int64)
    frame = frame.groupby("month", as_index=False, sort=True)[["n_at_risk", "n_events"]].sum()
    frame = frame[frame["n_at_risk"] > 0].reset_index(drop=True)
    return frame


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


class DiscreteSurvivalModel:
    """Base class: a survival curve S(t) on integer months with S(0) = 1, fitted by ML."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    bounds: ClassVar[tuple[tuple[float, float], ...]] = ()  # natural units, per parameter

    def __init__(self) -> None:
        """Create an unfitted model; fitted attributes end with an underscore."""
        self._reset()

    def _reset(self) -> None:
        """Clear fitted state so a failed fit never leaves stale parameters behind."""
        self.params_: dict[str, float] | None = None
        self.status_: str = "not fitted"
        self.log_likelihood_: float = float("nan")
        self.aic_: float = float("nan")
        self.at_bound_: bool = False
        self.n_events_: int = 0
        self.n_at_risk_total_: int = 0
        self.max_month_: int = 0

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

    # ---- curve evaluation -------------------------------------------------------------------

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) for float months t >= 0 and a parameter vector p (subclasses implement)."""
        raise NotImplementedError

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log(1 - h(t)) = log S(t) - log S(t-1); subclasses may override with a stable form."""
        return self._log_survival(t, p) - self._log_survival(t - 1.0, p)

    def _as_array(self, params: ParamsLike | None) -> np.ndarray:
        """Parameters as a float vector in param_names order (fitted ones when params is None)."""
        if params is None:
            if self.params_ is None:
                raise ValueError(f"{self.name}: model is not fitted and no params given")
            params = self.params_
        if isinstance(params, Mapping):
            arr = np.array([float(params[k]) for k in self.param_names])
        else:
            arr = np.asarray(params, dtype=float).ravel()
        if arr.size != self.n_params:
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
        """log S(m) at months m >= 0; stable in the far tail where S underflows."""
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
            dl = self._log_step(t, p)
            return -np.expm1(np.minimum(dl, 0.0))

    # ---- likelihood ---------------------------------------------------------------------------

    def _ll_arrays(self, t: np.ndarray, n: np.ndarray, d: np.ndarray, p: np.ndarray) -> float:
        """Life-table log-likelihood for month/at-risk/event arrays; nan/-inf when degenerate."""
        with np.errstate(all="ignore"):
            dl = np.minimum(self._log_step(t, p), 0.0)
            log_h = np.log(-np.expm1(dl))
            surv = n - d
            terms = np.where(d > 0, d * log_h, 0.0) + np.where(surv > 0, surv * dl, 0.0)
            return float(np.sum(terms))

    def log_likelihood(self, life_table: pd.DataFrame, params: ParamsLike | None = None) -> float:
        """Exact log-likelihood of a life table (right censoring and late entry included)."""
        lt = clean_life_table(life_table)
        return self._ll_arrays(
            lt["month"].to_numpy(float),
            lt["n_at_risk"].to_numpy(float),
            lt["n_events"].to_numpy(float),
            self._as_array(params),
        )

    # ---- fitting ------------------------------------------------------------------------------

    def _start_points(self, crude_hazard: float) -> list[np.ndarray]:
        """Deterministic starting points (natural units) given the pooled crude hazard."""
        raise NotImplementedError

    def fit(self, life_table: pd.DataFrame) -> DiscreteSurvivalModel:
        """Maximum-likelihood fit; never raises for bad data, reports problems in status_."""
        self._reset()
        nan_params = dict.fromkeys(self.param_names, float("nan"))
        try:
            lt = clean_life_table(life_table)
        except ValueError as exc:
            self.status_, self.params_ = f"invalid life table: {exc}", nan_params
            return self
        t = lt["month"].to_numpy(float)
        n = lt["n_at_risk"].to_numpy(float)
        d = lt["n_events"].to_numpy(float)
        self.n_events_ = int(round(d.sum()))
        self.n_at_risk_total_ = int(round(n.sum()))
        self.max_month_ = int(t.max()) if t.size else 0
        if n.sum() <= 0:
            self.status_, self.params_ = "no data", nan_params
            return self
        if d.sum() <= 0:
            self.status_, self.params_ = "no events", nan_params
            return self
        if np.all(d >= n):
            self.status_, self.params_ = "no survivors", nan_params
            return self
        try:
            x_best, ll_best, converged = self._optimise(t, n, d)
        except Exception as exc:  # noqa: BLE001 - a fitter must report, never raise
            self.status_, self.params_ = f"error: {type(exc).__name__}: {exc}", nan_params
            return self
        if x_best is None or not np.isfinite(ll_best):
            self.status_, self.params_ = "did not converge", nan_params
            return self
        lo, hi = self._log_bounds()
        self.params_ = dict(zip(self.param_names, np.exp(x_best).tolist(), strict=True))
        self.log_likelihood_ = ll_best
        self.aic_ = 2.0 * self.n_params - 2.0 * ll_best
        self.at_bound_ = bool(np.any((x_best - lo < _BOUND_TOL) | (hi - x_best < _BOUND_TOL)))
        self.status_ = "ok" if converged else "did not converge"
        return self

    def _log_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the log-parameters."""
        b = np.log(np.asarray(self.bounds, dtype=float))
        return b[:, 0], b[:, 1]

    def _optimise(
        self, t: np.ndarray, n: np.ndarray, d: np.ndarray
    ) -> tuple[np.ndarray | None, float, bool]:
        """Multi-start bounded L-BFGS-B on log-parameters; returns (x, LL, converged)."""
        lo, hi = self._log_bounds()
        scale = 1.0 / n.sum()

        def objective(x: np.ndarray) -> float:
            ll = self._ll_arrays(t, n, d, np.exp(x))
            return -ll * scale if np.isfinite(ll) else _PENALTY

        def gradient(x: np.ndarray) -> np.ndarray:
            g = np.empty_like(x)
            for i in range(x.size):
                step = np.zeros_like(x)
                step[i] = 1e-6
                up, down = np.minimum(x + step, hi), np.maximum(x - step, lo)
                g[i] = (objective(up) - objective(down)) / (up[i] - down[i])
            return g

        crude = float(np.clip(d.sum() / n.sum(), 1e-4, 1 - 1e-4))
        bounds = list(zip(lo, hi, strict=True))
        options = {"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8}
        runs = []
        for start in self._start_points(crude):
            x0 = np.clip(np.log(np.asarray(start, dtype=float)), lo + 1e-6, hi - 1e-6)
            runs.append(minimize(objective, x0, jac=gradient, method="L-BFGS-B", bounds=bounds,
                                 options=options))
            # Two starts that reach the same optimum settle it; the rest would cost time only.
            values = sorted(run.fun for run in runs)
            if len(values) >= 2 and values[1] - values[0] < 1e-10 and values[0] < _PENALTY:
                break
        runs.sort(key=lambda r: r.fun)
        best = runs[0]
        if best.fun >= _PENALTY:
            return None, float("nan"), False
        if not best.success:
            polish = minimize(objective, best.x, jac=gradient, method="L-BFGS-B", bounds=bounds,
                              options=options)
            if polish.fun <= best.fun:
                best = polish
        converged = bool(best.success)
        if not converged:
            # Abnormal line-search exits are common on flat ridges (e.g. the sBG geometric limit):
            # accept when the projected gradient is small or another start reached the same LL.
            g = gradient(best.x)
            pinned = ((best.x - lo < _BOUND_TOL) & (g > 0)) | ((hi - best.x < _BOUND_TOL) & (g < 0))
            replicated = len(runs) > 1 and runs[1].fun - best.fun < 1e-8
            converged = bool(np.all(np.abs(g[~pinned]) < 1e-6) or replicated)
        x = np.asarray(best.x, dtype=float)
        return x, self._ll_arrays(t, n, d, np.exp(x)), converged

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
        a, b = p
        return _log_beta_ratio(a, b, t)

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log(1 - h(t)) = log1p(-alpha / (alpha + beta + t - 1)), exact for huge alpha, beta."""
        a, b = p
        return np.log1p(-a / (a + b + t - 1.0))

    def hazard(
        self, months: np.ndarray | Sequence[float] | float, params: ParamsLike | None = None
    ) -> np.ndarray:
        """Closed form h(t) = alpha / (alpha + beta + t - 1)."""
        t = self._months(months, 1)
        a, b = self._as_array(params)
        return a / (a + b + t - 1.0)

    def _start_points(self, crude_hazard: float) -> list[np.ndarray]:
        """Mean churn prob alpha/(alpha+beta) = crude hazard at several concentrations."""
        odds = (1.0 - crude_hazard) / crude_hazard
        return [np.array([a, a * odds]) for a in (0.3, 1.0, 3.0)] + [np.array([1.0, 1.0])]


class BetaDiscreteWeibull(DiscreteSurvivalModel):
    """BdW (Fader, Hardie, Liu, Schwartz, Stevens 2018): sBG with duration dependence c."""

    name = "bdw"
    label = "BdW"
    param_names = ("alpha", "beta", "c")
    bounds = ((1e-4, 1e6), (1e-4, 1e6), (0.02, 10.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = log B(alpha, beta + t^c) - log B(alpha, beta)."""
        a, b, c = p
        return _log_beta_ratio(a, b, np.power(t, c))

    def _log_step(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) - log S(t-1) as one beta ratio from b + (t-1)^c, avoiding cancellation."""
        a, b, c = p
        x0 = np.power(t - 1.0, c)
        return _log_beta_ratio(a, b + x0, np.power(t, c) - x0)

    def _start_points(self, crude_hazard: float) -> list[np.ndarray]:
        """sBG starts (c = 1) plus decreasing and increasing duration dependence."""
        odds = (1.0 - crude_hazard) / crude_hazard
        return [np.array([a, a * odds, 1.0]) for a in (0.3, 1.0, 3.0)] + [
            np.array([1.0, odds, c]) for c in (0.6, 1.5)
        ]


class DiscreteWeibull(DiscreteSurvivalModel):
    """Discrete Weibull (homogeneous): S(t) = exp(-(t / lam)^k)."""

    name = "weibull"
    label = "Weibull"
    param_names = ("lam", "k")
    bounds = ((1e-8, 1e15), (0.01, 20.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = -(t / lam)^k."""
        lam, k = p
        return -np.power(t / lam, k)

    def _start_points(self, crude_hazard: float) -> list[np.ndarray]:
        """Match S(1) = 1 - crude hazard for several shapes k."""
        cum = -np.log1p(-crude_hazard)
        return [np.array([cum ** (-1.0 / k), k]) for k in (0.5, 1.0, 2.0)]


class DiscreteLogLogistic(DiscreteSurvivalModel):
    """Discrete log-logistic: S(t) = 1 / (1 + (t / lam)^k)."""

    name = "loglogistic"
    label = "log-logistic"
    param_names = ("lam", "k")
    bounds = ((1e-8, 1e15), (0.01, 20.0))

    def _log_survival(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """log S(t) = -log(1 + (t / lam)^k)."""
        lam, k = p
        return -np.log1p(np.power(t / lam, k))

    def _start_points(self, crude_hazard: float) -> list[np.ndarray]:
        """Match S(1) = 1 - crude hazard for several shapes k."""
        odds = (1.0 - crude_hazard) / crude_hazard
        return [np.array([odds ** (1.0 / k), k]) for k in (0.5, 1.0, 2.0)]


MODELS: dict[str, type[DiscreteSurvivalModel]] = {
    cls.name: cls
    for cls in (ShiftedBetaGeometric, BetaDiscreteWeibull, DiscreteWeibull, DiscreteLogLogistic)
}
MIXTURE_MODELS: tuple[str, ...] = ("sbg", "bdw")


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
    return pd.DataFrame(
        {"entry": e, "duration": duration, "event": event, "true_duration": true_t}
    )
