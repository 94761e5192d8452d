"""Predicted vs realised survival per group and backtest cutoff, for the chosen tail model,
from the candidate fits kept at each cutoff (no refit)."""

from churn.survival.curves import backtest_curves


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = dbt.ref("int_survival__fit_inputs").to_arrow_table()
    return backtest_curves(inputs, dbt.ref("churn_survival_fits").to_arrow_table())
