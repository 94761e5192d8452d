"""The partition dispatcher: same results serial or pooled; a failing partition becomes a
status row."""

from __future__ import annotations

import pandas as pd
from churn.engine import conform, run_partitioned, spark_schema

SCHEMA = (("group", "object"), ("total", "float64"), ("status", "object"))


def total_or_fail(partition: pd.DataFrame) -> pd.DataFrame:
    if (partition["value"] < 0).any():
        raise ValueError("negative value")
    return pd.DataFrame(
        [{"group": partition["group"].iloc[0], "total": partition["value"].sum(), "status": "ok"}]
    )


def frame(n_groups: int) -> pd.DataFrame:
    rows = [
        {"group": f"g{i:03d}", "value": float(i + j)} for i in range(n_groups) for j in range(3)
    ]
    rows.append({"group": "g002", "value": -1.0})
    return pd.DataFrame(rows)


def test_a_failing_partition_becomes_a_status_row_and_the_others_finish():
    out = run_partitioned(frame(5), ["group"], total_or_fail, SCHEMA, n_jobs=1)
    assert list(out["group"]) == ["g000", "g001", "g002", "g003", "g004"]
    failed = out.set_index("group").loc["g002"]
    assert failed["status"] == "error: ValueError: negative value"
    assert pd.isna(failed["total"])
    assert out.set_index("group").loc["g004", "total"] == 4 * 3 + 3


def test_pool_and_serial_give_identical_frames():
    data = frame(40)
    serial = run_partitioned(data, ["group"], total_or_fail, SCHEMA, n_jobs=1)
    pooled = run_partitioned(data, ["group"], total_or_fail, SCHEMA, n_jobs=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_conform_orders_columns_and_fills_missing_ones():
    out = conform(pd.DataFrame({"status": ["ok"], "extra": [1]}), SCHEMA)
    assert list(out.columns) == ["group", "total", "status"]
    assert out["total"].dtype == "float64"


def test_spark_schema_is_ddl():
    assert spark_schema(SCHEMA) == "group string, total double, status string"
