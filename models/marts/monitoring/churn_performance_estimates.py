"""Label-free performance estimates (CBPE) of every cohort scored while unlabelled, per scoring
cutoff, beside the realised figures once the labels have matured. Recomputed from the score
history on every build, so it survives any rebuild the history survives."""

from churn.monitoring.history import MonitoringSettings, performance_estimates


def model(dbt, session):
    dbt.config(materialized="table")
    settings = MonitoringSettings.from_meta(
        {
            name: dbt.config.meta_get(name)
            for name in [
                "quick_churn_months",
                "churn_inactive_months",
                "drift_min_players",
                "reference_cohorts",
            ]
        }
    )
    score_history = dbt.ref("churn_score_history").df()
    labels = dbt.ref("int_classifier__labels").df()
    return performance_estimates(score_history, labels, settings)
