"""Moved to churn.partitions; this alias stays only until every caller imports that module."""

from churn.partitions import run_on_spark, run_partitioned  # noqa: F401
