"""Quick-churn classifier: feature schema (`features`), pipelines and calibration (`estimators`),
the scikit-learn-style model (`model`), metrics (`metrics`), selection / evaluation / refit
(`training`) and scoring (`scoring`).

The label and the features are built in SQL (`int_classifier__*`); this package chooses, fits,
evaluates and scores. Artifacts are saved and verified by `churn.artifact`.
"""
