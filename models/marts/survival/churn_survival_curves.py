"""Survival curves, months 0..60, for every partition, parent level and segment."""

from churn.survival.curves import assemble_curves


def model(dbt, session):
    dbt.config(materialized="table")
    export_cutoff = dbt.ref("int_survival__curve_inputs").filter("cutoff_offset_months = 0")
    inputs = export_cutoff.to_arrow_table()
    return assemble_curves(inputs, dbt.ref("churn_survival_fits").to_arrow_table())
