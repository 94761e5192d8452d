"""The export as numeric columns (one array per field), before it is rendered as text.

Problems are injected on this form, with an issue code per row, so that the rendering step can
apply the text-level corruptions and the truth can name every corrupted row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

NO_DAY = np.iinfo(np.int64).min  # a missing date


@dataclass
class RowTable:
    """Columns of equal length; dates are days since 1970-01-01, amounts integer cents."""

    player: np.ndarray  # truth player index, -1 for test accounts
    partner: np.ndarray
    state: np.ndarray
    month: np.ndarray  # absolute month index of activity_month
    account_num: np.ndarray
    account_test: np.ndarray  # bool: id rendered as TEST_nnnn
    reg_day: np.ndarray
    ftd_day: np.ndarray
    qp_day: np.ndarray
    channel: np.ndarray
    tracker: np.ndarray
    product: np.ndarray
    deposit: np.ndarray
    handle: np.ndarray
    ngr: np.ndarray
    issue: np.ndarray  # int8 issue code, 0 = clean
    issue_arg: np.ndarray  # int32 argument of the issue (which bad value / which column)
    copy_rank: np.ndarray  # 0 original, 1 exact duplicate (sorts right after its original)

    @property
    def n(self) -> int:
        return int(self.player.shape[0])

    def take(self, idx: np.ndarray) -> RowTable:
        """Rows at `idx` (copies)."""
        return RowTable(**{f.name: getattr(self, f.name)[idx] for f in dataclasses.fields(self)})

    @staticmethod
    def concat(tables: list[RowTable]) -> RowTable:
        """Rows of all tables, in order."""
        return RowTable(
            **{
                f.name: np.concatenate([getattr(t, f.name) for t in tables])
                for f in dataclasses.fields(RowTable)
            }
        )

    def sorted(self) -> RowTable:
        """Export order: partner, month, account, then an exact copy after its original."""
        order = np.lexsort(
            (self.copy_rank, self.account_num, self.account_test, self.month, self.partner)
        )
        return self.take(order)
