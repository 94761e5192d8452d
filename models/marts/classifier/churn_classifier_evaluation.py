"""Quick-churn classifier: candidates (logistic / boosted x global / partner / partition grain)
chosen by rolling-origin cross-validation on the train cohorts, the choice evaluated on the test
cohorts after the label-maturation gap, then refitted on every labelled cohort and saved as the
signed artifact. One row per candidate and slice (docs/classifier.md)."""

from churn.classifier.training import TrainingSettings, train_and_evaluate
from churn.progress import progress_through_dbt


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt sees only config keys written literally, hence one call per setting.
    settings = TrainingSettings.from_meta(
        {
            "quick_churn_months": dbt.config.meta_get("quick_churn_months"),
            "churn_inactive_months": dbt.config.meta_get("churn_inactive_months"),
            "decision_month": dbt.config.meta_get("decision_month"),
            "seed": dbt.config.meta_get("seed"),
            "min_submodel_players": dbt.config.meta_get("min_submodel_players"),
            "calibration_folds": dbt.config.meta_get("calibration_folds"),
            "risk_band_edges": dbt.config.meta_get("risk_band_edges"),
            "max_test_cohorts": dbt.config.meta_get("max_test_cohorts"),
            "cv_folds": dbt.config.meta_get("cv_folds"),
            "bootstrap_samples": dbt.config.meta_get("bootstrap_samples"),
            "artifact_dir": dbt.config.meta_get("artifact_dir"),
            "short_history": dbt.config.meta_get("short_history"),
            "jobs": dbt.config.meta_get("jobs"),
        }
    )
    features = dbt.ref("int_classifier__features").arrow().read_all().to_pandas()
    labels = dbt.ref("int_classifier__labels").arrow().read_all().to_pandas()
    with progress_through_dbt():
        evaluation = train_and_evaluate(features, labels, settings)
    return evaluation
