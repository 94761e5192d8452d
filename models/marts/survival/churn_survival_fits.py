"""Tail models per group: candidates fitted on the pooled life table, backtested at earlier
cutoffs, one chosen per group (or the parent's tail when the group has too few events)."""

from churn.partitions import run_partitioned
from churn.survival.pipeline import FITS_SCHEMA, GROUP_KEYS, fit_group


def model(dbt, session):
    dbt.config(materialized="table")
    inputs = dbt.ref("int_survival__fit_inputs").df()
    return run_partitioned(inputs, GROUP_KEYS, fit_group, FITS_SCHEMA)
