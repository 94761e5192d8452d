"""Every scored player's probability of quick churn at the decision point, from the champion
serving at this data cutoff (churn_model_registry; loaded from its artifact and verified, exactly
as `churn score` would)."""

from churn.classifier.scoring import score_players
from churn.monitoring.champion import champion_pointer


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_classifier__features").arrow().read_all().to_pandas()
    labels = dbt.ref("int_classifier__labels").arrow().read_all().to_pandas()
    registry = dbt.ref("churn_model_registry").arrow().read_all().to_pandas()
    cutoff = dbt.ref("int_export_window").arrow().read_all().to_pandas()["export_month"].iloc[0]
    jobs = int(dbt.config.meta_get("jobs") or 1)
    return score_players(features, labels, champion_pointer(registry, cutoff), jobs)
