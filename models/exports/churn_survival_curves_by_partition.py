"""churn_survival_curves as Parquet for systems that read files, swapped in atomically; the table
is the manifest of the files written."""

from churn.exports import export_relation


def model(dbt, session):
    dbt.config(materialized="table")
    return export_relation(
        dbt.ref("churn_survival_curves"),
        "churn_survival_curves",
        order_by=["pooling_level", "segment_type", "segment_value", "month_number"],
    )
