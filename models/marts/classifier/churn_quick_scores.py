"""Every scored player's probability of quick churn at the decision point, from the default model
artifact (loaded from disk and verified, exactly as `python -m churn score` would)."""

from churn.classifier.pipeline import score_players


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_classifier__features").df()
    labels = dbt.ref("int_classifier__labels").df()
    evaluation = dbt.ref("churn_classifier_evaluation").df()
    return score_players(features, labels, evaluation)
