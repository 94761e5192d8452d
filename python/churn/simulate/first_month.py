"""The FTD month (months_active 0): what a player shows at decision month 0, drawn from the type
alone, and the exact likelihood of those observables given each type.

Drawn before and independently of the lifetime, so given the type (and the FTD calendar month)
the month-0 observables carry no further information about the player's future activity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churn.simulate.calendar import days_in_month, month_first_day
from churn.simulate.money import (
    MIN_DEPOSIT,
    draw_deposit,
    draw_handle,
    draw_ngr,
    payout_log_median,
    payout_sigma,
    to_cents,
)
from churn.simulate.player_types import QP_LAG_MAX, REG_LAG_MAX, TypeTables, sample_rows

_LOG_2PI = np.log(2.0 * np.pi)


@dataclass
class MonthZero:
    """Month-0 observables per player (amounts in cents) and the drawn first-bet lag."""

    never_bet: np.ndarray  # bool: the player never places a cash bet
    qp_lag: np.ndarray  # drawn FTD-to-first-bet days (used only if not never_bet)
    bet_m0: np.ndarray  # bool: first bet inside the FTD month
    deposit: np.ndarray
    handle: np.ndarray
    ngr: np.ndarray


def days_left_in_month(ftd_day: np.ndarray, ftd_month: np.ndarray) -> np.ndarray:
    """Days from the FTD date to the last day of its month (0 on the last day)."""
    return month_first_day(ftd_month) + days_in_month(ftd_month) - 1 - ftd_day


def draw_month_zero(
    types: np.ndarray,
    product: np.ndarray,
    ftd_day: np.ndarray,
    ftd_month: np.ndarray,
    tables: TypeTables,
    rng: np.random.Generator,
) -> MonthZero:
    """Never-bet flag, first-bet lag, and the FTD-month deposit, handle and NGR."""
    n = len(types)
    never = rng.random(n) < tables.never_bet[types]
    qp_lag = sample_rows(tables.qp_cdf, types, rng.random(n))
    bet_m0 = ~never & (qp_lag <= days_left_in_month(ftd_day, ftd_month))
    deposit_c = to_cents(
        draw_deposit(
            tables.deposit0_mu[types] + tables.deposit_shift[product],
            tables.deposit0_sigma[types],
            rng,
        )
    )
    handle = np.where(bet_m0, draw_handle(deposit_c / 100.0, types, product, tables, rng), 0.0)
    handle_c = to_cents(handle)
    bonus = np.where(bet_m0, tables.bonus0_share[types] * deposit_c / 100.0, 0.0)
    ngr_c = to_cents(draw_ngr(handle_c / 100.0, bonus, product, tables, rng))
    return MonthZero(never, qp_lag, bet_m0, deposit_c, handle_c, ngr_c)


def _lognormal_logpdf(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    x = np.maximum(x, 1e-9)
    return -np.log(x * sigma) - 0.5 * _LOG_2PI - 0.5 * ((np.log(x) - mu) / sigma) ** 2


def month_zero_log_likelihood(
    tables: TypeTables,
    product: np.ndarray,
    reg_lag: np.ndarray,
    days_left: np.ndarray,
    bet_m0: np.ndarray,
    qp_lag: np.ndarray,
    deposit: np.ndarray,
    handle: np.ndarray,
    ngr: np.ndarray,
) -> np.ndarray:
    """(n, T) log density of the month-0 observables under each type.

    Observables (amounts in dollars): reg-to-FTD days; whether the first bet fell inside the FTD
    month and, if so, its lag in days (`days_left` = days from FTD to month end); the FTD-month
    deposit, handle and NGR. Densities ignore rounding to cents and the caps (far in the tails).
    """
    n_t = tables.n_types
    t = np.arange(n_t)[None, :]
    prod = product[:, None]
    ll = np.log(tables.reg_pmf[t, np.clip(reg_lag, 0, REG_LAG_MAX)[:, None]])
    never = tables.never_bet[t]
    in_month = (1.0 - never) * tables.qp_pmf[t, np.clip(qp_lag, 0, QP_LAG_MAX)[:, None]]
    left = np.clip(days_left, 0, QP_LAG_MAX)[:, None]
    not_yet = never + (1.0 - never) * (1.0 - tables.qp_cdf[t, left])
    ll = ll + np.log(np.where(bet_m0[:, None], in_month, not_yet))
    ll = ll + _lognormal_logpdf(
        (deposit - MIN_DEPOSIT)[:, None],
        tables.deposit0_mu[t] + tables.deposit_shift[prod],
        tables.deposit0_sigma[t],
    )
    bet = bet_m0[:, None]
    dep = np.maximum(deposit, 0.01)[:, None]
    h = np.maximum(handle, 0.01)[:, None]
    ll_handle = _lognormal_logpdf(
        h / dep, tables.handle_mu[prod] + tables.handle_shift[t], tables.handle_sigma[prod]
    ) - np.log(dep)
    sigma = payout_sigma(h, prod, tables)
    payout = (h - (ngr[:, None] + tables.bonus0_share[t] * dep)) / h
    ll_ngr = _lognormal_logpdf(payout, payout_log_median(sigma, prod, tables), sigma) - np.log(h)
    return ll + np.where(bet, ll_handle + ll_ngr, 0.0)
