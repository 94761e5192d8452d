"""The alive process: a latent lapse time per player, monthly skips while alive, a rare true
return after a long gap, and the resulting uncensored activity history (month 0 = FTD month).

Vectorised over players with one pass per month of tenure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churn.simulate.calendar import calendar_month, days_in_month, month_first_day, month_of_day
from churn.simulate.first_month import MonthZero
from churn.simulate.player_types import TypeTables, draw_lapse

NO_MONTH = -1
NO_DAY = np.iinfo(np.int64).min


@dataclass
class Lifetimes:
    """Uncensored histories and the latent times behind them."""

    activity: np.ndarray  # (M, n) bool, month-major: activity[m, i] = player i active at tenure m
    lapse: np.ndarray  # D: months alive in the first spell (alive in months 0..D-1)
    return_start: np.ndarray  # tenure month of a true return, NO_MONTH if none
    return_length: np.ndarray  # months alive in the second spell (0 if none)
    qp_offset: np.ndarray  # tenure month of the first cash bet, NO_MONTH if never
    qp_day: np.ndarray  # first cash bet date (days since epoch), NO_DAY if never

    @property
    def horizon(self) -> int:
        return int(self.activity.shape[0])


def simulate_lifetimes(
    types: np.ndarray,
    product: np.ndarray,
    ftd_month: np.ndarray,
    ftd_day: np.ndarray,
    month0: MonthZero,
    tables: TypeTables,
    horizon: int,
    min_return_gap: int,
    return_gap_mean: float,
    rng: np.random.Generator,
) -> Lifetimes:
    """Draws lapse and return times, then activity month by month.

    Active at tenure m: alive and a Bernoulli(activity[type, product, calendar month]) draw;
    month 0 and the month of a return are always active. The first cash bet happens in the
    first active month on or after the drawn FTD-to-first-bet lag (never for never-bettors).
    """
    n = types.shape[0]
    lapse = draw_lapse(tables, types, rng)
    returns = rng.random(n) < tables.return_prob[types]
    gap = min_return_gap + rng.geometric(1.0 / return_gap_mean, n) - 1
    return_start = np.where(returns, lapse + gap, NO_MONTH).astype(np.int32)
    return_length = np.where(returns, draw_lapse(tables, types, rng), 0).astype(np.int32)
    return_end = return_start + return_length

    q_rows = tables.activity[types, product].astype(np.float32)  # (n, 12)
    cal0 = calendar_month(ftd_month)
    idx = np.arange(n)
    qp_target = np.where(
        month0.never_bet, np.iinfo(np.int32).max, month_of_day(ftd_day + month0.qp_lag) - ftd_month
    )
    qp_offset = np.full(n, NO_MONTH, dtype=np.int32)
    activity = np.zeros((horizon, n), dtype=bool)
    activity[0] = True
    qp_offset[month0.bet_m0] = 0
    for m in range(1, horizon):
        alive = (m < lapse) | ((m >= return_start) & (m < return_end) & returns)
        q = q_rows[idx, (cal0 + m) % 12]
        row = alive & (rng.random(n, dtype=np.float32) < q)
        row |= return_start == m
        activity[m] = row
        first = row & (qp_offset == NO_MONTH) & (m >= qp_target)
        qp_offset[first] = m

    on_target = qp_offset == qp_target
    moved = (qp_offset > 0) & ~on_target
    month = ftd_month + np.maximum(qp_offset, 0)
    later_day = month_first_day(month) + (rng.random(n) * days_in_month(month)).astype(np.int64)
    qp_day = np.where(on_target, ftd_day + month0.qp_lag, np.where(moved, later_day, NO_DAY))
    qp_day = np.where(qp_offset == 0, ftd_day + month0.qp_lag, qp_day)
    return Lifetimes(activity, lapse, return_start, return_length, qp_offset, qp_day)
