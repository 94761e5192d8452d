"""Everything that runs on Spark, in one file so that one test worker starts one JVM (a local
session per process, spark_session.py).

The SQL layers: staging, validation, panel, lifetimes, life tables, Kaplan-Meier and pooling built
by dbt-spark (`method: session`) on a local Spark session from a raw export loaded as a Spark
table, give the DuckDB build's Kaplan-Meier rows of the same export to 1e-9; every SQL model
compiles for Spark. The export is two partners of the sample (about 6% of its rows, with its
quarantine reasons): every SQL model runs on it, in a fraction of the sample's time.

Slash dates: the same evidence and parsing on Spark as on DuckDB (test_hostile_dates.py).

The scale path: the same group-pure fitting functions give the same rows on Spark
(`groupBy().applyInPandas`, local mode) as in the local dispatcher, per group and in batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import test_partitions
from churn.partitions import run_batched, run_batched_on_spark, run_on_spark, run_partitioned
from churn.project import project_dir
from churn.survival.selection import FITS_SCHEMA, GROUP_KEYS
from churn.survival.selection import fit_tail_models as fit_group
from churn.warehouse import invoke_dbt_in_process, run_dbt
from spark_session import local_spark
from test_hostile_vars import BUILD, six_months
from test_partitions import SCHEMA, frame, total_or_fail
from test_pipeline_hostile import COLUMNS, variant
from test_survival_pipeline import group_frame

SQL_LAYERS = ["+int_survival__pooled_hazards", "+dq_reconciliation"]
ONLY_MODELS_AND_SEEDS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
KEYS = [
    "cutoff_offset_months",
    "outcome_as_of",
    "pooling_level",
    "partner_id",
    "geo",
    "segment_type",
    "segment_value",
    "month_number",
]
SAMPLE = project_dir() / "data" / "sample" / "activity.csv.gz"
# Two partners, so the pooling across partners and the partner level are exercised.
PARTNERS = ["P01", "P04"]
SQL_BUILD = ["build", "--select", *SQL_LAYERS, *ONLY_MODELS_AND_SEEDS]


@pytest.fixture(scope="module")
def small_export(tmp_path_factory) -> Path:
    """The sample's rows of PARTNERS, every column as the text it was."""
    path = tmp_path_factory.mktemp("small_export") / "activity.csv.gz"
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    raw[raw["partner_id"].isin(PARTNERS)].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory, small_export):
    spark = local_spark()
    workdir = tmp_path_factory.mktemp("spark")
    # The source on Spark is the table partner.activity: the raw export, every column as text.
    raw = spark.read.csv(str(small_export), header=True, inferSchema=False)
    spark.sql("create database if not exists partner")
    raw.write.mode("overwrite").saveAsTable("partner.activity")
    env = {"CHURN_TARGET": "spark", "CHURN_SPARK_WAREHOUSE": str(workdir / "spark-warehouse")}
    run = invoke_dbt_in_process(SQL_BUILD, workdir, env=env)
    assert run.ok, run.output
    return spark, workdir, env


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory, small_export):
    """The same models on DuckDB from the same export (the project's other vars)."""
    run = run_dbt(
        SQL_BUILD, tmp_path_factory.mktemp("duckdb"), {"raw_activity_path": str(small_export)}
    )
    assert run.ok, run.output[-4000:]
    return run


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS, na_position="first").reset_index(drop=True)


def test_kaplan_meier_on_spark_equals_the_duckdb_build(spark_build, duckdb_build):
    spark, _, _ = spark_build
    local = sorted_rows(duckdb_build.frame("select * from intermediate.int_survival__kaplan_meier"))
    remote = sorted_rows(spark.table("intermediate.int_survival__kaplan_meier").toPandas())
    assert sorted(remote.columns) == sorted(local.columns)
    assert len(remote) == len(local) > 1000
    for column in local.columns:
        if column in KEYS or local[column].dtype == object:
            assert remote[column].astype(str).tolist() == local[column].astype(str).tolist(), column
        else:
            np.testing.assert_allclose(
                remote[column].astype(float),
                local[column].astype(float),
                rtol=1e-9,
                atol=1e-9,
                err_msg=column,
            )


def test_reconciliation_on_spark_equals_the_duckdb_build(spark_build, duckdb_build):
    spark, _, _ = spark_build
    local = duckdb_build.frame("select * from marts.dq_reconciliation")
    remote = spark.table("marts.dq_reconciliation").toPandas()
    order = list(local.columns[:1])
    pd.testing.assert_frame_equal(
        remote[local.columns].sort_values(order).reset_index(drop=True).astype(str),
        local.sort_values(order).reset_index(drop=True).astype(str),
    )


def test_every_sql_model_compiles_for_spark(spark_build):
    _, workdir, env = spark_build
    run = invoke_dbt_in_process(["compile", "--select", "resource_type:model"], workdir, env=env)
    assert run.ok, run.output


# Slash dates ----------------------------------------------------------------------------------


def test_spark_reads_slash_dates_in_the_order_duckdb_decides(tmp_path):
    """The same evidence and parsing on Spark (spark__ macros): a day-first export is `dmy`,
    an export holding both orders `mixed` with the row that reads both ways quarantined."""
    spark = local_spark()
    rows = six_months()
    rows[0] = variant(account_id="X1", reg_date="13/01/2023", ftd_date="05/01/2023")
    env = {"CHURN_TARGET": "spark", "CHURN_SPARK_WAREHOUSE": str(tmp_path / "spark-warehouse")}
    # Models and seeds only: the data tests run on DuckDB (test_hostile_dates.py).
    build = [*BUILD[:3], "int_date_order", "--exclude-resource-type", "test"]
    build += ["--exclude-resource-type", "unit_test"]
    found = {}
    for name, extra in [("dmy", []), ("mixed", [variant(account_id="X2", ftd_date="01/13/2023")])]:
        frame = pd.DataFrame(rows + extra, columns=COLUMNS)
        spark.sql("create database if not exists partner")
        spark.createDataFrame(frame).write.mode("overwrite").saveAsTable("partner.activity")
        run = invoke_dbt_in_process(build, tmp_path / name, env=env)
        assert run.ok, run.output[-3000:]
        order = spark.table("intermediate.int_date_order").toPandas()
        verdict = spark.sql(
            "select account_id, reason_code, cast(reg_date as string) as reg_date, "
            "cast(ftd_date as string) as ftd_date from intermediate.int_activity__validated "
            "where account_id in ('X1', 'X2')"
        ).toPandas()
        found[name] = (order["date_order"].tolist(), sorted(map(tuple, verdict.to_numpy())))
    assert found["dmy"] == (["dmy"], [("X1", None, "2023-01-13", "2023-01-05")])
    assert found["mixed"] == (
        ["mixed"],
        [("X1", "ambiguous_date", "2023-01-13", None), ("X2", None, "2022-12-30", "2023-01-13")],
    )


# The scale path -------------------------------------------------------------------------------


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
