"""Discrete-time (monthly) survival baseline for player churn: tail models fitted for all groups
at once (models), candidate fits, backtest and choice (selection), curves with honest tail bands
(curves)."""

from churn.survival.curves import (
    BACKTEST_CURVE_SCHEMA,
    CURVE_SCHEMA,
    anchored_tail,
    assemble_curves,
    backtest_curves,
)
from churn.survival.models import (
    LIFE_TABLE_COLUMNS,
    MIXTURE_MODELS,
    MODELS,
    BatchFit,
    BetaDiscreteWeibull,
    DiscreteLogLogistic,
    DiscreteSurvivalModel,
    DiscreteWeibull,
    ShiftedBetaGeometric,
    clean_life_table,
    fit_life_tables,
    life_table_from_durations,
    simulate_durations,
)
from churn.survival.selection import (
    DEFAULT_MODELS,
    FITS_SCHEMA,
    GROUP_KEYS,
    TOO_FEW_EVENTS,
    fit_tail_models,
)

__all__ = [
    "BACKTEST_CURVE_SCHEMA",
    "CURVE_SCHEMA",
    "DEFAULT_MODELS",
    "FITS_SCHEMA",
    "GROUP_KEYS",
    "LIFE_TABLE_COLUMNS",
    "MIXTURE_MODELS",
    "MODELS",
    "TOO_FEW_EVENTS",
    "BatchFit",
    "BetaDiscreteWeibull",
    "DiscreteLogLogistic",
    "DiscreteSurvivalModel",
    "DiscreteWeibull",
    "ShiftedBetaGeometric",
    "anchored_tail",
    "assemble_curves",
    "backtest_curves",
    "clean_life_table",
    "fit_life_tables",
    "fit_tail_models",
    "life_table_from_durations",
    "simulate_durations",
]
