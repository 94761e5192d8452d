"""churn_quick_scores as Parquet for systems that read files, swapped in atomically; the table is
the manifest of the files written."""

from churn.exports import export_relation


def model(dbt, session):
    dbt.config(materialized="table")
    return export_relation(
        dbt.ref("churn_quick_scores"), "churn_quick_scores", order_by=["player_id"]
    )
