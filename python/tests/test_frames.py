"""Declared schemas: conform() gives exactly the declared columns and dtypes, never silently."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from churn.frames import conform, empty_frame, spark_ddl

SCHEMA = {
    "partner_id": "object",
    "n_players": "int64",
    "survival": "float64",
    "is_chosen": "bool",
    "cutoff": "date",
}


def test_conform_orders_columns_drops_extras_and_fills_missing_ones_with_null():
    out = conform(pd.DataFrame({"survival": [0.5], "extra": [1], "partner_id": ["P01"]}), SCHEMA)
    assert list(out.columns) == list(SCHEMA)
    assert out["survival"].dtype == "float64"
    assert out["partner_id"].tolist() == ["P01"]
    assert pd.isna(out.loc[0, "n_players"]) and pd.isna(out.loc[0, "is_chosen"])


def test_a_null_in_a_non_nullable_column_stays_null_in_its_nullable_dtype():
    out = conform([{"n_players": 3, "is_chosen": True}, {"n_players": None}], SCHEMA)
    assert str(out["n_players"].dtype) == "Int64" and out["n_players"].tolist()[0] == 3
    assert str(out["is_chosen"].dtype) == "boolean" and pd.isna(out.loc[1, "is_chosen"])
    full = conform([{"n_players": 3, "is_chosen": False}], SCHEMA)
    assert full["n_players"].dtype == "int64" and full["is_chosen"].dtype == "bool"


def test_dates_become_python_dates_and_nulls_none():
    out = conform(pd.DataFrame({"cutoff": ["2024-12-01", None]}), SCHEMA)
    assert out["cutoff"].tolist() == [dt.date(2024, 12, 1), None]


def test_a_value_that_does_not_fit_its_dtype_is_an_error_naming_the_column():
    with pytest.raises(ValueError, match="column survival"):
        conform(pd.DataFrame({"survival": ["not a number"]}), SCHEMA)


def test_empty_frame_and_spark_ddl_follow_the_schema():
    assert list(empty_frame(SCHEMA).columns) == list(SCHEMA)
    assert spark_ddl(SCHEMA) == (
        "partner_id string, n_players bigint, survival double, is_chosen boolean, cutoff date"
    )


def test_columns_without_rows_keep_their_type_in_duckdb():
    # An export whose every row is quarantined gives empty results: DuckDB must still see text
    # and date columns as VARCHAR and DATE, not as the type NULL.
    empty = empty_frame(SCHEMA)
    relation = duckdb.from_df(empty)
    types = {name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
    assert types == {
        "partner_id": "VARCHAR",
        "n_players": "BIGINT",
        "survival": "DOUBLE",
        "is_chosen": "BOOLEAN",
        "cutoff": "DATE",
    }
