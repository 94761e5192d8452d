"""Evaluation over time: drift (PSI), label-free performance estimates (CBPE), prospective
metrics, the champion/challenger promotion rule, the MLflow registry and the replay."""
