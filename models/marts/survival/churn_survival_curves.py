"""Survival curves, months 0..60, for every partition, parent level and segment."""

from churn.survival.pipeline import assemble_curves


def model(dbt, session):
    dbt.config(materialized="table")
    hazards = dbt.ref("int_survival__curve_inputs").filter("cutoff_offset_months = 0").df()
    fits = dbt.ref("churn_survival_fits").df()
    return assemble_curves(hazards, fits)
