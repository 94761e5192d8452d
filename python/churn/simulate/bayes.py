"""The Bayes-optimal probability of quick churn (T <= H) from what is known at decision month 0.

P(quick | x) = sum_type P(type | covariates) L(month-0 observables | type) P(T <= H | type,
product, FTD calendar month) / normaliser. The last factor is exact: T <= H depends only on
months 1..H+K-1, which the lapse time and monthly skips determine (a true return comes at least
min_return_gap >= K months after the lapse, after the first churn is already fixed).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from churn.simulate.first_month import month_zero_log_likelihood
from churn.simulate.player_types import TypeTables


def quick_churn_by_type(tables: TypeTables, h: int = 3, k: int = 3) -> np.ndarray:
    """(T, R, 12) P(T <= h | type, product, FTD calendar month) under the K-month rule.

    Enumerates the lapse month and every activity pattern of months 1..h+k-1.
    """
    w = h + k - 1
    patterns = np.array(list(itertools.product([0, 1], repeat=w)), dtype=bool)  # (2^w, w)
    inactive = ~patterns
    quick = np.zeros(len(patterns), dtype=bool)
    for j in range(1, h + 1):  # a run of k inactive months starting at month j
        quick |= inactive[:, j - 1 : j - 1 + k].all(axis=1)
    n_t, n_r, _ = tables.activity.shape
    out = np.zeros((n_t, n_r, 12))
    survival = tables.lapse_survival  # P(D > d)
    months = np.arange(1, w + 1)
    for c in range(12):
        q = tables.activity[:, :, (c + months) % 12]  # (T, R, w)
        for d in range(1, w + 2):  # D = d months alive; d = w + 1 means alive through month w
            p_d = survival[:, d - 1] - survival[:, d] if d <= w else survival[:, w]
            alive = months < d  # (w,)
            # P(pattern | D = d): Bernoulli while alive, inactive after.
            ok = ~(patterns[:, ~alive]).any(axis=1)  # no activity once lapsed
            qa = q[:, :, alive]  # (T, R, a)
            pa_ = patterns[:, alive]  # (2^w, a)
            like = np.prod(
                np.where(pa_[None, None], qa[:, :, None, :], 1.0 - qa[:, :, None, :]), axis=-1
            )  # (T, R, 2^w)
            out[:, :, c] += p_d[:, None] * (like * (ok & quick)[None, None, :]).sum(axis=-1)
    return out


def posterior_quick_churn(
    prior: np.ndarray, log_likelihood: np.ndarray, p_quick: np.ndarray
) -> np.ndarray:
    """sum_t P(t | x) P(quick | t) with P(t | x) proportional to prior x likelihood, per row."""
    log_post = np.log(np.maximum(prior, 1e-300)) + log_likelihood
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=1, keepdims=True)
    return (post * p_quick).sum(axis=1)


def bayes_quick_churn(
    players: pd.DataFrame, tables: TypeTables, h: int = 3, k: int = 3
) -> np.ndarray:
    """The Bayes probability of T <= h for each row of a truth players frame.

    Uses the frame's prior columns p_type_<name>, product, FTD month and month-0 observables
    (reg_to_ftd_days, ftd_days_left, bet_in_ftd_month, ftd_to_qp_days, m0_deposit, m0_handle,
    m0_ngr).
    """
    prior = players[[f"p_type_{name}" for name in tables.type_names]].to_numpy(float)
    product = pd.Categorical(players["product"], categories=list(tables.product_names)).codes
    if (product < 0).any():
        raise ValueError("unknown product in players frame")
    ftd = pd.to_datetime(players["ftd_month"])
    ftd_month = (ftd.dt.year * 12 + ftd.dt.month - 1).to_numpy(np.int64)
    bet = players["bet_in_ftd_month"].to_numpy(bool)
    ll = month_zero_log_likelihood(
        tables,
        product.astype(np.int64),
        players["reg_to_ftd_days"].to_numpy(np.int64),
        players["ftd_days_left"].to_numpy(np.int64),
        bet,
        np.where(bet, players["ftd_to_qp_days"].fillna(0).to_numpy(float), 0).astype(np.int64),
        players["m0_deposit"].to_numpy(float),
        players["m0_handle"].to_numpy(float),
        players["m0_ngr"].to_numpy(float),
    )
    table = quick_churn_by_type(tables, h, k)  # (T, R, 12)
    p_quick = table[:, product, ftd_month % 12].T  # (n, T)
    return posterior_quick_churn(prior, ll, p_quick)
