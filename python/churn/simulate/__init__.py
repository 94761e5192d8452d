"""Synthetic partner exports of monthly player activity, with the ground truth behind them.

`simulate(SimulationConfig(...))` returns the export (text, as a partner sends it) and the truth
(latent types, uncensored survival, injected issues); `python -m churn.simulate` writes both.
"""

from collections.abc import Sequence

from churn.simulate.churn_rule import survival_from_activity
from churn.simulate.config import IssueRates, SimulationConfig, preset
from churn.simulate.export import EXPORT_COLUMNS, read_export, write_export
from churn.simulate.pipeline import SimulationResult, simulate, write_result, write_truth
from churn.simulate.problems import ISSUES
from churn.simulate.regimes import REGIMES, regime

__all__ = [
    "EXPORT_COLUMNS",
    "ISSUES",
    "IssueRates",
    "REGIMES",
    "SimulationConfig",
    "SimulationResult",
    "main",
    "preset",
    "read_export",
    "regime",
    "simulate",
    "survival_from_activity",
    "write_export",
    "write_result",
    "write_truth",
]


def main(argv: Sequence[str] | None = None, prog: str = "python -m churn.simulate") -> int:
    """The simulator's command line (`churn simulate ...`); returns the exit code."""
    from churn.simulate.command import main as command_main

    return command_main(argv, prog)
