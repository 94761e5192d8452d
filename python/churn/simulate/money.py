"""Monthly money: heavy-tailed deposits, handle as a lognormal multiple of the deposit, and NGR
from a lognormal payout ratio (so NGR <= handle and is often negative), all in integer cents."""

from __future__ import annotations

import numpy as np

from churn.simulate.player_types import TypeTables

MIN_DEPOSIT = 10.0  # dollars: deposits are MIN_DEPOSIT + lognormal
MAX_DEPOSIT = 2_000_000.0  # soft caps: real players stay below the 10M test-account level
MAX_HANDLE = 8_000_000.0
LATER_BONUS_SHARE = 0.05  # bonus cost as a share of the deposit after the FTD month


def to_cents(dollars: np.ndarray) -> np.ndarray:
    """Dollars -> integer cents (rounded half to even)."""
    return np.rint(np.asarray(dollars) * 100.0).astype(np.int64)


def payout_sigma(handle: np.ndarray, product: np.ndarray, tables: TypeTables) -> np.ndarray:
    """sd of log(payout / handle): wide for a small handle, narrowing as bets add up."""
    return tables.ngr_sd[product] / np.sqrt(1.0 + handle / tables.ngr_sd_scale[product])


def payout_log_median(sigma: np.ndarray, product: np.ndarray, tables: TypeTables) -> np.ndarray:
    """log median of payout / handle such that its mean is 1 - hold."""
    return np.log1p(-tables.hold[product]) - 0.5 * sigma**2


def soft_cap(x: np.ndarray, cap: float) -> np.ndarray:
    """cap x (1 - exp(-x / cap)): identity for small x, never reaches cap."""
    return cap * -np.expm1(-x / cap)


def draw_deposit(mu: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MIN_DEPOSIT + lognormal(mu, sigma) dollars, soft-capped below MAX_DEPOSIT."""
    return MIN_DEPOSIT + soft_cap(np.exp(mu + sigma * rng.standard_normal(mu.shape)), MAX_DEPOSIT)


def draw_handle(
    base: np.ndarray,
    types: np.ndarray,
    product: np.ndarray,
    tables: TypeTables,
    rng: np.random.Generator,
) -> np.ndarray:
    """base x lognormal multiple (product median, type shift), soft-capped below MAX_HANDLE."""
    mu = tables.handle_mu[product] + tables.handle_shift[types]
    mult = np.exp(mu + tables.handle_sigma[product] * rng.standard_normal(base.shape))
    return soft_cap(base * mult, MAX_HANDLE)


def draw_ngr(
    handle: np.ndarray,
    bonus: np.ndarray,
    product: np.ndarray,
    tables: TypeTables,
    rng: np.random.Generator,
) -> np.ndarray:
    """NGR = handle x (1 - payout ratio) - bonus; zero where there is no handle."""
    sigma = payout_sigma(handle, product, tables)
    ratio = np.exp(
        payout_log_median(sigma, product, tables) + sigma * rng.standard_normal(handle.shape)
    )
    return np.where(handle > 0, handle * (1.0 - ratio) - bonus, 0.0)


def later_month_amounts(
    types: np.ndarray,
    product: np.ndarray,
    betting: np.ndarray,
    tables: TypeTables,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cents (deposit, handle, ngr) for active months after the FTD month.

    A betting month has a deposit with a type-dependent probability and always a handle; a
    month before the first bet (or of a never-bettor) is a deposit only. Either way the month is
    active: deposit > 0 or handle > 0.
    """
    mu = tables.deposit_mu[types] + tables.deposit_shift[product]
    sigma = tables.deposit_sigma[types]
    has_deposit = ~betting | (rng.random(types.shape) < tables.deposit_month_prob[types])
    amount = draw_deposit(mu, sigma, rng)
    balance = draw_deposit(mu, sigma, rng)  # what is bet from the balance without a deposit
    deposit = np.where(has_deposit, amount, 0.0)
    handle = np.where(
        betting,
        draw_handle(np.where(has_deposit, amount, balance), types, product, tables, rng),
        0.0,
    )
    deposit_c, handle_c = to_cents(deposit), to_cents(handle)
    ngr = draw_ngr(handle_c / 100.0, LATER_BONUS_SHARE * deposit_c / 100.0, product, tables, rng)
    return deposit_c, handle_c, to_cents(ngr)
