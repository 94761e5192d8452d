"""This cutoff's rows of churn_model_metrics_history: the build's model on its test cohorts
(retrospective) and the served versions on the cohorts whose labels matured since the previous
cutoff (prospective)."""

from churn.monitoring.history import MonitoringSettings, prospective_metrics


def model(dbt, session):
    dbt.config(materialized="table")
    settings = MonitoringSettings.from_meta(
        {
            name: dbt.config.meta_get(name)
            for name in [
                "quick_churn_months",
                "churn_inactive_months",
                "decision_month",
                "drift_min_players",
                "calibration_tolerance",
                "bootstrap_samples",
                "seed",
            ]
        }
    )
    score_history = dbt.ref("churn_score_history").df()
    labels = dbt.ref("int_classifier__labels").df()
    evaluation = dbt.ref("churn_classifier_evaluation").df()
    registry = dbt.ref("churn_model_registry").df()
    cutoff = dbt.ref("int_export_window").df()["export_month"].iloc[0]
    return prospective_metrics(score_history, labels, evaluation, registry, cutoff, settings)
