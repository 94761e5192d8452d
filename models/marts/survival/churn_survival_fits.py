"""Tail models per group: candidates fitted for all groups at once on the pooled life tables at
the export and at each backtest cutoff, backtested, one chosen per group (or the parent's tail
when the group has too few events)."""

from churn.survival.selection import fit_tail_models


def model(dbt, session):
    dbt.config(materialized="table")
    return fit_tail_models(dbt.ref("int_survival__fit_inputs").to_arrow_table())
