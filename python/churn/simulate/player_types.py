"""Numeric tables of the latent player types and products, built once from the config.

Every distribution that is sampled is tabulated here (lag pmfs, lapse survival, activity
probability by calendar month), so the Bayes computation in `bayes.py` uses the very same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churn.simulate.config import SimulationConfig

REG_LAG_MAX = 365  # reg-to-FTD lag support: 0..365 days
QP_LAG_MAX = 120  # FTD-to-first-bet lag support: 0..120 days


def _bucket_pmf(
    same: float,
    short: float,
    week: float,
    size: int,
    week_ratio: float,
    tail_ratio: float,
    week_end: int,
) -> np.ndarray:
    """pmf over 0..size-1: mass `same` at 0, `short` uniform on 1..3, `week` geometric on
    4..week_end, the rest geometric on week_end+1..size-1."""
    pmf = np.zeros(size)
    pmf[0] = same
    pmf[1:4] = short / 3.0
    week_w = week_ratio ** np.arange(week_end - 3)
    pmf[4 : week_end + 1] = week * week_w / week_w.sum()
    rest = max(0.0, 1.0 - same - short - week)
    if week_end + 1 < size:
        tail_w = tail_ratio ** np.arange(size - week_end - 1)
        pmf[week_end + 1 :] = rest * tail_w / tail_w.sum()
    return pmf / pmf.sum()


@dataclass(frozen=True)
class TypeTables:
    """Per-type (T) and per-product (R) parameter arrays, plus tabulated distributions."""

    type_names: tuple[str, ...]
    product_names: tuple[str, ...]
    base_logit: np.ndarray  # (T,)
    lapse_survival: np.ndarray  # (T, M + 1): P(D > d) for d = 0..M, D = months alive
    activity: np.ndarray  # (T, R, 12): P(active | alive) by calendar month
    return_prob: np.ndarray  # (T,)
    reg_pmf: np.ndarray  # (T, REG_LAG_MAX + 1)
    reg_cdf: np.ndarray
    qp_pmf: np.ndarray  # (T, QP_LAG_MAX + 1)
    qp_cdf: np.ndarray
    never_bet: np.ndarray  # (T,)
    deposit0_mu: np.ndarray  # (T,) log medians of (deposit - 10)
    deposit0_sigma: np.ndarray
    deposit_mu: np.ndarray
    deposit_sigma: np.ndarray
    deposit_month_prob: np.ndarray
    handle_shift: np.ndarray
    bonus0_share: np.ndarray
    product_logit: np.ndarray  # (R,)
    product_legal_in: tuple[str, ...]
    product_type_shift: np.ndarray  # (R, T)
    deposit_shift: np.ndarray  # (R,)
    handle_mu: np.ndarray  # (R,) log median handle multiple
    handle_sigma: np.ndarray
    hold: np.ndarray
    ngr_sd: np.ndarray
    ngr_sd_scale: np.ndarray

    @property
    def n_types(self) -> int:
        return len(self.type_names)


def build_tables(config: SimulationConfig, horizon: int) -> TypeTables:
    """Tabulates every per-type distribution for lifetimes of up to `horizon` months."""
    types, products = config.types, config.products
    t = np.arange(1, horizon + 1)
    survival = np.ones((len(types), horizon + 1))
    for i, spec in enumerate(types):
        hazard = spec.hazard_floor + (spec.hazard_start - spec.hazard_floor) * np.exp(
            -(t - 1) / spec.hazard_tau
        )
        if spec.hazard_rise_months > 0:  # a hump: low at first, peaking near R months
            hazard = hazard * np.minimum(1.0, t / spec.hazard_rise_months)
        survival[i, 1:] = np.cumprod(1.0 - hazard)
    season = np.asarray(config.sports_activity_seasonality)
    activity = np.empty((len(types), len(products), 12))
    for i, spec in enumerate(types):
        for j, product in enumerate(products):
            factor = season if product.sports_seasonal else np.ones(12)
            activity[i, j] = np.minimum(spec.activity_prob * factor, config.max_activity_prob)
    reg_pmf = np.stack(
        [
            _bucket_pmf(s.reg_same_day, s.reg_short, s.reg_week, REG_LAG_MAX + 1, 0.85, 0.99, 30)
            for s in types
        ]
    )
    qp_pmf = np.stack(
        [_bucket_pmf(s.qp_same_day, s.qp_short, 0.0, QP_LAG_MAX + 1, 0.9, 0.93, 3) for s in types]
    )

    def arr(values: list[float]) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)

    return TypeTables(
        type_names=config.type_names,
        product_names=config.product_names,
        base_logit=arr([s.base_logit for s in types]),
        lapse_survival=survival,
        activity=activity,
        return_prob=arr([s.return_prob for s in types]),
        reg_pmf=reg_pmf,
        reg_cdf=np.cumsum(reg_pmf, axis=1),
        qp_pmf=qp_pmf,
        qp_cdf=np.cumsum(qp_pmf, axis=1),
        never_bet=arr([s.never_bet_prob for s in types]),
        deposit0_mu=np.log(arr([s.deposit0_median for s in types])),
        deposit0_sigma=arr([s.deposit0_sigma for s in types]),
        deposit_mu=np.log(arr([s.deposit_median for s in types])),
        deposit_sigma=arr([s.deposit_sigma for s in types]),
        deposit_month_prob=arr([s.deposit_month_prob for s in types]),
        handle_shift=arr([s.handle_shift for s in types]),
        bonus0_share=arr([s.bonus0_share for s in types]),
        product_logit=arr([p.base_logit for p in products]),
        product_legal_in=tuple(p.legal_in for p in products),
        product_type_shift=np.asarray([p.type_shift for p in products], dtype=np.float64),
        deposit_shift=arr([p.deposit_shift for p in products]),
        handle_mu=np.log(arr([p.handle_multiple for p in products])),
        handle_sigma=arr([p.handle_sigma for p in products]),
        hold=arr([p.hold for p in products]),
        ngr_sd=arr([p.ngr_sd for p in products]),
        ngr_sd_scale=arr([p.ngr_sd_scale for p in products]),
    )


def sample_rows(cdf: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws: for each i, the smallest index k with cdf[rows[i], k] > u[i].

    Vectorised over rows of different distributions by shifting row r's cdf by r.
    """
    n_rows, width = cdf.shape
    rows = np.asarray(rows, dtype=np.int64)
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    flat[width - 1 :: width] = np.arange(1, n_rows + 1)  # exact 1.0 at each row's end
    k = np.searchsorted(flat, rows + u, side="right") - rows * width
    return np.clip(k, 0, width - 1)


def draw_lapse(tables: TypeTables, types: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Months alive D >= 1 per player (alive in months 0..D-1); D = M + 1 means beyond horizon."""
    survival = tables.lapse_survival[:, 1:]  # P(D > d), d = 1..M, decreasing
    u = rng.random(len(types))
    out = np.empty(types.shape[0], dtype=np.int32)
    for t in range(tables.n_types):
        idx = np.flatnonzero(types == t)
        out[idx] = 1 + np.searchsorted(-survival[t], -u[idx], side="left")
    return out
