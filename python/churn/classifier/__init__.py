"""Quick-churn classifier: features schema, estimators, metrics and the dbt entry points.

The label, the features and the split are built in SQL (`int_classifier__*`); this package fits,
calibrates, evaluates and scores. The trained model is delivered by `churn.artifact`.
"""
