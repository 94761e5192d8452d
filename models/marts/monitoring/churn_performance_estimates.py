"""Label-free performance estimates (CBPE) of every cohort scored while unlabelled, per scoring
cutoff, beside the realised figures once the labels have matured. Recomputed from the score
history on every build, so it survives any rebuild the history survives."""

from churn.monitoring.history import performance_estimates


def model(dbt, session):
    dbt.config(materialized="table")
    score_history = dbt.ref("churn_score_history").df()
    labels = dbt.ref("int_classifier__labels").df()
    return performance_estimates(score_history, labels)
