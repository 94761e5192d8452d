"""The SQL layers on Spark: staging, validation, panel, lifetimes, life tables, Kaplan-Meier and
pooling built by dbt-spark (`method: session`) on a local Spark session from a raw export loaded
as a Spark table, give the DuckDB build's Kaplan-Meier rows of the same export to 1e-9; every SQL
model compiles for Spark. The export is two partners of the sample (about 6% of its rows, with
its quarantine reasons): every SQL model runs on it, in a fraction of the sample's time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.project import project_dir
from churn.warehouse import invoke_dbt_in_process, run_dbt
from spark_session import local_spark

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
