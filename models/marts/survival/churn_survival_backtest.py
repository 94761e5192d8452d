"""Predicted vs realised survival per group and backtest cutoff, for the chosen tail model."""

from churn.survival.pipeline import backtest_curves


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = dbt.ref("int_survival__fit_inputs").df()
    fits = dbt.ref("churn_survival_fits").df()
    return backtest_curves(inputs, fits)
