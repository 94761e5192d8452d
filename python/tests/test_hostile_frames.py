"""A text column without a value holds pd.NA after conform (so DuckDB still types it); every path
that reads it sees a null: DuckDB, Arrow (what Spark's applyInPandas converts through) and a
batch concatenated with one that holds values."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
from churn.frames import conform

SCHEMA = [("group_id", "int64"), ("status", "object"), ("fitted_on", "date")]


def all_null_batch() -> pd.DataFrame:
    return conform(pd.DataFrame({"group_id": [1], "status": [None], "fitted_on": [None]}), SCHEMA)


def test_an_all_null_text_column_reads_as_a_typed_null_in_duckdb():
    frame = all_null_batch()
    assert frame["status"].iloc[0] is pd.NA
    relation = duckdb.from_df(frame)
    assert relation.types[1:] == ["VARCHAR", "DATE"]
    assert relation.fetchall() == [(1, None, None)]


def test_an_all_null_text_column_is_a_null_string_in_arrow():
    table = pa.Table.from_pandas(all_null_batch(), preserve_index=False)
    assert table.schema.field("status").type == pa.string()
    assert table.column("status").null_count == 1
    # Spark converts each column on its own with the declared type.
    assert pa.Array.from_pandas(all_null_batch()["status"], type=pa.string()).null_count == 1


def test_a_batch_without_values_concatenated_with_one_that_has_them_keeps_its_nulls():
    with_values = conform(
        pd.DataFrame({"group_id": [2], "status": ["ok"], "fitted_on": ["2024-01-01"]}), SCHEMA
    )
    stacked = pd.concat([all_null_batch(), with_values], ignore_index=True)
    rows = duckdb.from_df(stacked).fetchall()
    assert rows == [(1, None, None), (2, "ok", pd.Timestamp("2024-01-01").date())]
    assert conform(stacked, SCHEMA)["status"].tolist() == [None, "ok"]
