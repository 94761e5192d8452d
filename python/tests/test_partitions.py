"""The group dispatcher: same results serial, pooled or batched; a failing group becomes a status
row and the others finish."""

from __future__ import annotations

import pandas as pd
from churn.partitions import run_batched, run_partitioned

SCHEMA = (("group", "object"), ("total", "float64"), ("n_rows", "int64"), ("status", "object"))


def total_or_fail(partition: pd.DataFrame) -> pd.DataFrame:
    """Group-pure, one row per group; fails on a negative value (batched or not)."""
    if (partition["value"] < 0).any():
        raise ValueError("negative value")
    out = partition.groupby("group", sort=True)["value"].agg(["sum", "size"]).reset_index()
    return out.rename(columns={"sum": "total", "size": "n_rows"}).assign(status="ok")


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
    assert pd.isna(failed["total"]) and pd.isna(failed["n_rows"])
    assert out.set_index("group").loc["g004", "total"] == 4 * 3 + 3


def test_pool_and_serial_give_identical_frames():
    data = frame(40)
    serial = run_partitioned(data, ["group"], total_or_fail, SCHEMA, n_jobs=1)
    pooled = run_partitioned(data, ["group"], total_or_fail, SCHEMA, n_jobs=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_batches_of_any_size_give_the_rows_of_one_call_per_group():
    data = frame(23)
    per_group = run_partitioned(data, ["group"], total_or_fail, SCHEMA, n_jobs=1)
    for size in (None, 1, 4, 50):
        batched = run_batched(
            data, ["group"], total_or_fail, SCHEMA, groups_per_batch=size, n_jobs=1
        )
        pd.testing.assert_frame_equal(batched, per_group)


def test_a_failing_batch_is_retried_so_only_the_bad_group_gets_a_status_row():
    out = run_batched(frame(6), ["group"], total_or_fail, SCHEMA, n_jobs=1).set_index("group")
    assert out.loc["g002", "status"] == "error: ValueError: negative value"
    assert (out.drop(index="g002")["status"] == "ok").all()


def test_no_groups_give_an_empty_frame_of_the_schema():
    empty = frame(0).iloc[0:0]
    out = run_partitioned(empty, ["group"], total_or_fail, SCHEMA)
    assert list(out.columns) == [column for column, _ in SCHEMA] and out.empty
