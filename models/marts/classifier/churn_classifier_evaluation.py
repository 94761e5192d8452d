"""Quick-churn classifier: every candidate (logistic / boosted x global / partner / partition grain)
fitted on the training cohorts, calibrated on the next, evaluated on the latest labelled ones; the
default is saved as a versioned artifact. One row per candidate and slice."""

from churn.classifier.pipeline import TrainingSettings, train_and_evaluate


def model(dbt, session):
    dbt.config(materialized="table")
    settings = TrainingSettings.from_meta({
        "seed": dbt.config.meta_get("seed"),
        "min_train_players": dbt.config.meta_get("min_train_players"),
        "min_calibration_players": dbt.config.meta_get("min_calibration_players"),
        "bootstrap_samples": dbt.config.meta_get("bootstrap_samples"),
        "risk_band_edges": dbt.config.meta_get("risk_band_edges"),
        "artifact_dir": dbt.config.meta_get("artifact_dir"),
        "quick_churn_months": dbt.config.meta_get("quick_churn_months"),
        "churn_inactive_months": dbt.config.meta_get("churn_inactive_months"),
        "decision_month": dbt.config.meta_get("decision_month"),
    })
    features = dbt.ref("int_classifier__features").df()
    labels = dbt.ref("int_classifier__labels").df()
    return train_and_evaluate(features, labels, settings)
