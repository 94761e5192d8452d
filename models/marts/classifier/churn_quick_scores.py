"""Every scored player's probability of quick churn at the decision point, from the champion
serving at this data cutoff (churn_model_registry; loaded from its artifact and verified, exactly
as `python -m churn score` would)."""

from churn.classifier.pipeline import score_players
from churn.monitoring.champion import champion_pointer


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_classifier__features").df()
    labels = dbt.ref("int_classifier__labels").df()
    registry = dbt.ref("churn_model_registry").df()
    cutoff = dbt.ref("int_export_window").df()["export_month"].iloc[0]
    return score_players(features, labels, champion_pointer(registry, cutoff))
