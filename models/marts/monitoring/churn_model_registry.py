"""Champion / challenger: registers this build's model in the MLflow registry, applies the
promotion rule once per data cutoff, moves the aliases, and mirrors the registry for SQL users."""

from churn.monitoring.champion import promote_challenger
from churn.monitoring.promotion import PromotionRule


def model(dbt, session):
    dbt.config(materialized="table")
    rule = PromotionRule.from_meta(
        {
            "max_ece": dbt.config.meta_get("max_ece"),
            "slope_range": dbt.config.meta_get("slope_range"),
            "bootstrap_samples": dbt.config.meta_get("bootstrap_samples"),
            "seed": dbt.config.meta_get("seed"),
        }
    )
    evaluation = dbt.ref("churn_classifier_evaluation").df()
    features = dbt.ref("int_classifier__features").df()
    labels = dbt.ref("int_classifier__labels").df()
    return promote_challenger(
        evaluation,
        features,
        labels,
        rule,
        artifact_dir=dbt.config.meta_get("artifact_dir"),
        registered_model=dbt.config.meta_get("registered_model"),
        jobs=int(dbt.config.meta_get("jobs") or 1),
    )
