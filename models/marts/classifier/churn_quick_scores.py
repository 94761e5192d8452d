"""Every scored player's probability of quick churn at the decision point, from the artifact the
evaluation saved (loaded from disk and verified, exactly as `churn score` would)."""

from churn.classifier.scoring import score_players


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_classifier__features").arrow().read_all().to_pandas()
    labels = dbt.ref("int_classifier__labels").arrow().read_all().to_pandas()
    evaluation = dbt.ref("churn_classifier_evaluation").arrow().read_all().to_pandas()
    return score_players(features, labels, evaluation)
