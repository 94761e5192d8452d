"""The scale path: the same partition-pure survival fit gives the same rows on Spark
(`groupBy().applyInPandas`, local mode) as in the local dispatcher."""

from __future__ import annotations

import os
import sys

import pandas as pd
import pytest
from churn.engine import run_on_spark, run_partitioned
from churn.survival.selection import FITS_SCHEMA, GROUP_KEYS
from churn.survival.selection import fit_tail_models as fit_group
from test_survival_pipeline import group_frame

pyspark_sql = pytest.importorskip("pyspark.sql")


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("churn-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_survival_fits_on_spark_equal_the_local_dispatcher(spark):
    groups = pd.concat(
        [group_frame(3000).assign(geo="NJ"), group_frame(20).assign(geo="PA")], ignore_index=True
    )
    local = run_partitioned(groups, GROUP_KEYS, fit_group, FITS_SCHEMA, n_jobs=1)
    on_spark = run_on_spark(spark.createDataFrame(groups), GROUP_KEYS, fit_group, FITS_SCHEMA)
    remote = on_spark.toPandas()
    order = [*GROUP_KEYS, "model"]
    local = local.sort_values(order).reset_index(drop=True)
    remote = remote.sort_values(order).reset_index(drop=True)
    assert list(remote.columns) == [column for column, _ in FITS_SCHEMA]
    assert remote["model"].tolist() == local["model"].tolist()
    pd.testing.assert_series_equal(remote["aic"], local["aic"], check_dtype=False)
    assert remote["is_chosen"].astype(bool).tolist() == local["is_chosen"].astype(bool).tolist()
