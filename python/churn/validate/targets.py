"""Targets and the table that prints every figure beside its target with a verdict.

A figure is measured once per seed; its verdict is `met` when every seed's value meets the
target, `NOT met` when one does not, `n/a` when no seed has a value (the figure cannot be
computed in that regime, e.g. no model was trained or no partition reaches the size band), and
`met (1 of 2 runs)` when only some seeds have a value and those meet it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

MET, NOT_MET, NOT_AVAILABLE = "met", "NOT met", "n/a"


@dataclass(frozen=True)
class Target:
    """A figure's name, how it is shown and the closed interval [low, high] it must lie in;
    without bounds the figure is a reference shown beside the others (e.g. the Bayes value)."""

    name: str
    label: str
    low: float | None = None
    high: float | None = None
    digits: int = 4

    @property
    def is_reference(self) -> bool:
        """A figure shown for context (no bounds: no verdict)."""
        return self.low is None and self.high is None

    def is_met(self, value: float | None) -> bool | None:
        """True / False for a number, None for a missing value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @property
    def text(self) -> str:
        if self.is_reference:
            return "(reference)"
        if self.low is not None and self.high is not None:
            return f"in [{self.low:g}, {self.high:g}]"
        return f">= {self.low:g}" if self.low is not None else f"<= {self.high:g}"

    def format(self, value: float | None) -> str:
        if self.is_met(value) is None:
            return NOT_AVAILABLE
        return f"{value:,.{self.digits}f}"


def verdict(target: Target, values: Sequence[float | None]) -> str:
    """`NOT met` if an available value misses the target, `n/a` if none is available, `met`
    otherwise; `met (k of n runs)` when only k of the n runs have a value."""
    checks = [target.is_met(v) for v in values]
    if target.is_reference:
        return ""
    available = [c for c in checks if c is not None]
    if not available:
        return NOT_AVAILABLE
    if not all(available):
        return NOT_MET
    if len(available) < len(checks):
        return f"{MET} ({len(available)} of {len(checks)} runs)"
    return MET


def judge(targets: Sequence[Target], figures: Mapping[str, Sequence[float | None]]) -> pd.DataFrame:
    """One row per target: its label, each seed's value (text), the target and the verdict.

    `figures` maps a target name to its values, one per seed, in seed order."""
    n_seeds = max((len(v) for v in figures.values()), default=0)
    rows = []
    for target in targets:
        values = list(figures.get(target.name, []))
        values += [None] * (n_seeds - len(values))
        rows.append(
            {
                "figure": target.label,
                **{f"run {i + 1}": target.format(v) for i, v in enumerate(values)},
                "target": target.text,
                "verdict": verdict(target, values),
            }
        )
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, seeds: Sequence[int]) -> str:
    """The judged table as aligned text, the value columns headed by their seeds."""
    renamed = table.rename(columns={f"run {i + 1}": f"seed {s}" for i, s in enumerate(seeds)})
    widths = {c: max(len(str(c)), *(len(str(v)) for v in renamed[c])) for c in renamed.columns}
    lines = []
    header: dict[Hashable, Any] = dict(zip(renamed.columns, renamed.columns, strict=True))
    for row in [header, *renamed.to_dict("records")]:
        cells = [
            str(row[c]).ljust(widths[c])
            if c in ("figure", "target", "verdict")
            else str(row[c]).rjust(widths[c])
            for c in renamed.columns
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
