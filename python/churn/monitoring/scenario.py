"""A simulated export with a known change at a given month, for the replay demonstration and
tests: a partner's player mix shifts (more one-and-done players among its new depositors), or a
partner's export format changes (amounts written with a decimal comma, which the staging layer
cannot parse and quarantines).

The mix shift splices two simulations of the same market: the partner's players whose FTD is in
or after the shift month come from a run whose `one_and_done` type is more likely; everyone else
from the base run. The simulator itself does not (yet) take a change month.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from churn.simulate.config import preset
from churn.simulate.export import write_export
from churn.simulate.pipeline import simulate


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
    """Writes the spliced export to `out`; returns (path, the partner whose mix shifted: the
    largest one unless given)."""
    base_config = preset(preset_name, **overrides)
    types = tuple(
        dataclasses.replace(spec, base_logit=spec.base_logit + one_and_done_logit_shift)
        if spec.name == "one_and_done"
        else spec
        for spec in base_config.types
    )
    base = simulate(base_config).export
    shifted = simulate(base_config.replace(types=types)).export
    if partner_id is None:
        partner_id = str(base["partner_id"].value_counts().idxmax())
    after_base = (base["partner_id"] == partner_id) & (_month_text(base, "ftd_date") >= shift_month)
    after_shifted = (shifted["partner_id"] == partner_id) & (
        _month_text(shifted, "ftd_date") >= shift_month
    )
    moved = shifted[after_shifted].copy()
    # Distinct accounts, so no player of the base run is merged with one of the shifted run.
    moved["account_id"] = "S" + moved["account_id"].astype(str)
    frame = pd.concat([base[~after_base], moved], ignore_index=True)
    if format_change_month:
        changed = (frame["partner_id"] == (format_change_partner or partner_id)) & (
            _month_text(frame, "activity_month") >= format_change_month
        )
        for column in ("total_deposit", "total_handle", "total_ngr"):
            frame.loc[changed, column] = (
                frame.loc[changed, column].astype(str).str.replace(".", ",", regex=False)
            )
    frame = frame.sort_values(["activity_month", "partner_id", "account_id"], kind="mergesort")
    return write_export(frame.reset_index(drop=True), out), partner_id
