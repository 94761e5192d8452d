"""This cutoff's feature drift: PSI of every model feature of the newest cohorts against the
serving model's training cohorts, per partner, and the newest cohorts' mean probability."""

from churn.monitoring.history import MonitoringSettings, feature_drift


def model(dbt, session):
    dbt.config(materialized="table")
    settings = MonitoringSettings.from_meta(
        {
            name: dbt.config.meta_get(name)
            for name in [
                "quick_churn_months",
                "churn_inactive_months",
                "decision_month",
                "psi_threshold",
                "drift_min_players",
            ]
        }
    )
    features = dbt.ref("int_classifier__features").df()
    labels = dbt.ref("int_classifier__labels").df()
    scores = dbt.ref("churn_quick_scores").df()
    registry = dbt.ref("churn_model_registry").df()
    score_history = dbt.ref("churn_score_history").df()
    cutoff = dbt.ref("int_export_window").df()["export_month"].iloc[0]
    return feature_drift(features, labels, scores, registry, score_history, cutoff, settings)
