"""Synthetic partner exports of monthly player activity, with the ground truth behind them.

`simulate(SimulationConfig(...))` returns the export (text, as a partner sends it) and the truth
(latent types, uncensored survival, injected issues); `python -m churn.simulate` writes both.
"""

from churn.simulate.churn_rule import survival_from_activity
from churn.simulate.config import IssueRates, SimulationConfig, preset
from churn.simulate.export import EXPORT_COLUMNS, read_export, write_export
from churn.simulate.pipeline import SimulationResult, simulate, write_result, write_truth
from churn.simulate.problems import ISSUES

__all__ = [
    "EXPORT_COLUMNS",
    "ISSUES",
    "IssueRates",
    "SimulationConfig",
    "SimulationResult",
    "preset",
    "read_export",
    "simulate",
    "survival_from_activity",
    "write_export",
    "write_result",
    "write_truth",
]
