"""A simulated export with a known change at a given month, for the replay demonstration and
tests: a partner's player mix shifts (more one-and-done players among its new depositors), or a
partner's export format changes (amounts written with a decimal comma, which the staging layer
cannot parse and quarantines).

The mix shift is the simulator's own (`mix_shift_month`, `mix_shift_partner`,
`mix_shift_logits`, as `churn simulate --mix-shift-*`): one run, whose ground truth records the
change. The decimal comma is not one of the simulator's format changes, and those do not suit a
replay test: amounts in cents parse, and dates written day first rewrite the activity month
too, which `replay.cut_export` cannot date, so it keeps those rows in every earlier cut.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from churn.simulate.config import preset
from churn.simulate.export import write_export
from churn.simulate.pipeline import simulate

AMOUNT_COLUMNS = ("total_deposit", "total_handle", "total_ngr")
# Partner sizes fall with rank (a Zipf law): P01 is the largest in expectation.
LARGEST_PARTNER = "P01"


def _month_text(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column], errors="coerce").dt.strftime("%Y-%m")


def shifted_export(
    out: str | Path,
    shift_month: str,
    preset_name: str = "tiny",
    partner_id: str | None = None,
    one_and_done_logit_shift: float = 2.5,
    format_change_month: str | None = None,
    format_change_partner: str | None = None,
    **overrides,
) -> tuple[Path, str]:
    """Writes the export to `out`; returns (path, the partner whose mix shifted: P01 unless
    given)."""
    partner_id = partner_id or LARGEST_PARTNER
    base = preset(preset_name, **overrides)
    logits = tuple(
        one_and_done_logit_shift if spec.name == "one_and_done" else 0.0 for spec in base.types
    )
    config = base.replace(
        mix_shift_month=shift_month, mix_shift_partner=partner_id, mix_shift_logits=logits
    )
    frame = simulate(config).export
    if format_change_month:
        changed = (frame["partner_id"] == (format_change_partner or partner_id)) & (
            _month_text(frame, "activity_month") >= format_change_month
        )
        for column in AMOUNT_COLUMNS:
            frame.loc[changed, column] = frame.loc[changed, column].str.replace(
                ".", ",", regex=False
            )
    return write_export(frame, out), partner_id
