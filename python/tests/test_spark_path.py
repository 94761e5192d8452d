"""The scale path: the same group-pure fitting functions give the same rows on Spark
(`groupBy().applyInPandas`, local mode) as in the local dispatcher, per group and in batches."""

from __future__ import annotations

import pandas as pd
import pytest
import test_partitions
from churn.partitions import run_batched, run_batched_on_spark, run_on_spark, run_partitioned
from churn.survival.selection import FITS_SCHEMA, GROUP_KEYS
from churn.survival.selection import fit_tail_models as fit_group
from spark_session import local_spark
from test_partitions import SCHEMA, frame, total_or_fail
from test_survival_pipeline import group_frame


@pytest.fixture(scope="module")
def spark():
    session = local_spark()
    # The toy functions live in a test module the Python workers cannot import: ship them by value.
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(test_partitions)
    return session


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


def test_a_batched_function_on_spark_gives_the_local_rows_and_status_rows(spark):
    data = frame(30)
    local = run_batched(data, ["group"], total_or_fail, SCHEMA, n_jobs=1)
    remote = run_batched_on_spark(
        spark.createDataFrame(data), ["group"], total_or_fail, SCHEMA, n_chunks=4
    ).toPandas()
    remote = remote.sort_values("group").reset_index(drop=True)
    pd.testing.assert_frame_equal(remote, local, check_dtype=False)
    assert remote.set_index("group").loc["g002", "status"] == "error: ValueError: negative value"
