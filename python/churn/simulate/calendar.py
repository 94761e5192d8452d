"""Month arithmetic on integer month indices (year * 12 + month - 1), vectorised with numpy.

Whole-month integers make months_active a subtraction and keep every array small.
"""

from __future__ import annotations

import re

import numpy as np

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")
EPOCH_MONTH = 1970 * 12


def parse_month(text: str) -> int:
    """'YYYY-MM' or 'YYYY-MM-DD' -> absolute month index."""
    match = _MONTH_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"not a month: {text!r}")
    return year * 12 + month - 1


def month_label(month: int) -> str:
    """Absolute month index -> 'YYYY-MM'."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_first_day(months: np.ndarray | int) -> np.ndarray:
    """Days since 1970-01-01 of the first day of each month."""
    m = np.asarray(months, dtype=np.int64) - EPOCH_MONTH
    return m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def days_in_month(months: np.ndarray | int) -> np.ndarray:
    """Number of days of each month."""
    m = np.asarray(months, dtype=np.int64)
    return month_first_day(m + 1) - month_first_day(m)


def month_of_day(days: np.ndarray) -> np.ndarray:
    """Absolute month index of each day (days since 1970-01-01)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH


def calendar_month(months: np.ndarray | int) -> np.ndarray:
    """0 = January .. 11 = December."""
    return np.asarray(months, dtype=np.int64) % 12
