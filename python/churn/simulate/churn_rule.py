"""The churn rule on activity bits: survival time T and event, vectorised over players.

Month 0 is the FTD month. The first churn is the first run of K consecutive inactive months; the
player was alive in months 0..L, L the last active month before that run, and T = L + 1. If no
such run is fully observed, the player is right-censored at T = last observed active month + 1.
"""

from __future__ import annotations

import numpy as np


def survival_from_activity(
    activity: np.ndarray, k: int = 3, observed_months: np.ndarray | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(T, event) per row of a (players x months) boolean activity matrix.

    `observed_months` (per player or scalar, default all columns) is how many months from month 0
    are observed; later columns are ignored. Month 0 counts as active (it is the FTD month).
    A run of K inactive months counts only when all K months are observed.
    """
    a = np.asarray(activity, dtype=bool)
    if a.ndim != 2:
        raise ValueError("activity must be a 2-d (players x months) matrix")
    if k < 1:
        raise ValueError("k must be >= 1")
    n, n_months = a.shape
    if observed_months is None:
        observed = np.full(n, n_months, dtype=np.int64)
    else:
        observed = np.clip(
            np.broadcast_to(np.asarray(observed_months, dtype=np.int64), (n,)), 1, n_months
        )
    months = np.arange(n_months)
    seen = months[None, :] < observed[:, None]
    active = a & seen
    active[:, 0] = True

    n_starts = n_months - k  # run starts j = 1..n_months-k (the run ends at j+k-1 <= M-1)
    if n_starts >= 1:
        inactive = ~active
        run = inactive[:, 1 : 1 + n_starts].copy()
        for s in range(1, k):
            run &= inactive[:, 1 + s : 1 + s + n_starts]
        run &= (months[1 : 1 + n_starts] + k)[None, :] <= observed[:, None]
        event = run.any(axis=1)
        first_run = run.argmax(axis=1) + 1
    else:
        event = np.zeros(n, dtype=bool)
        first_run = np.zeros(n, dtype=np.int64)
    last_active = n_months - 1 - np.argmax(active[:, ::-1], axis=1)
    t = np.where(event, first_run, last_active + 1)
    return t.astype(np.int64), event


def survival_reference(
    bits: list[int] | list[bool], k: int = 3, observed_months: int | None = None
) -> tuple[int, bool]:
    """The rule for one player written as a plain loop; the spec the vectorised version meets."""
    observed = list(bits)[: observed_months if observed_months is not None else len(bits)]
    seen = [True] + [bool(b) for b in observed[1:]]
    last, gap = 0, 0
    for month, is_active in enumerate(seen):
        if month == 0:
            continue
        if is_active:
            last, gap = month, 0
        else:
            gap += 1
            if gap == k:
                return last + 1, True
    return last + 1, False
