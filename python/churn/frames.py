"""Declared schemas of the frames the package returns to dbt, and the one function that makes a
frame match its schema.

A schema is an ordered list of (column, dtype) pairs, or a dict in that order. The dtypes are
pandas' names plus `date` (Python dates, stored by DuckDB as DATE): `int64`, `Int64`, `float64`,
`bool`, `boolean`, `object`, `string`, `date`. The same schema gives the Spark DDL string that
`applyInPandas` needs, so a function's output is declared once for both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import pyarrow as pa
from pandas.api.types import pandas_dtype

Schema = Sequence[tuple[str, str]] | Mapping[str, str]

# A null in a column declared with a non-nullable dtype keeps its null: the column takes the
# nullable counterpart (DuckDB and Spark store both the same way).
NULLABLE = {"int64": "Int64", "bool": "boolean"}
# The dtype of a text or date column without a value (no rows, or only nulls), so that DuckDB
# still sees its type.
TYPED_WHEN_EMPTY = {"object": pd.StringDtype(), "date": pd.ArrowDtype(pa.date32())}
SPARK_TYPES = {
    "int64": "bigint",
    "Int64": "bigint",
    "float64": "double",
    "Float64": "double",
    "bool": "boolean",
    "boolean": "boolean",
    "object": "string",
    "string": "string",
    "date": "date",
}


def columns_of(schema: Schema) -> list[tuple[str, str]]:
    """The schema as an ordered list of (column, dtype)."""
    pairs = list(schema.items()) if isinstance(schema, Mapping) else list(schema)
    unknown = [f"{column}: {dtype}" for column, dtype in pairs if dtype not in SPARK_TYPES]
    if unknown:
        raise ValueError(f"undeclarable dtypes in schema: {', '.join(unknown)}")
    return pairs


def column_names(schema: Schema) -> list[str]:
    """The schema's column names, in order."""
    return [column for column, _ in columns_of(schema)]


def empty_frame(schema: Schema) -> pd.DataFrame:
    """A frame with no rows and exactly the schema's columns and dtypes."""
    return conform(pd.DataFrame(), schema)


def conform(rows: pd.DataFrame | Iterable[Mapping[str, object]], schema: Schema) -> pd.DataFrame:
    """The rows (a frame or dicts) with exactly the schema's columns, in order and of the declared
    dtypes: a missing column is all null, extra columns are dropped, the index is reset."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = {}
    for column, dtype in columns_of(schema):
        values = (
            frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        )
        columns[column] = _cast(values, column, dtype)
    # One frame from all the columns (inserting them one by one copies the blocks again).
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def _cast(values: pd.Series, column: str, dtype: str) -> pd.Series:
    try:
        missing = values.isna()
        if dtype in TYPED_WHEN_EMPTY and missing.all():
            # DuckDB types an object column by its values: with no row or only nulls (an export
            # whose every row is quarantined gives a one-row status frame) the table column
            # would be of type NULL, which breaks contracts and tests downstream. A column
            # without a value takes a dtype that carries its type.
            return pd.Series(pd.NA, index=values.index, dtype=TYPED_WHEN_EMPTY[dtype])
        if dtype == "date":
            dates = pd.to_datetime(values).dt.date.astype(object)
            # pandas-stubs has no None for `other`; None is what DuckDB reads as NULL.
            return dates.where(~missing, None)  # type: ignore[call-overload]
        if dtype in ("object", "string"):
            present = values.astype(object)
            if missing.any():
                present = present.where(~missing, None)  # type: ignore[call-overload]
            return present.astype(pandas_dtype(dtype))
        if dtype.lower().startswith(("float", "int")):
            values = pd.to_numeric(values, errors="raise")
        if dtype in NULLABLE and missing.any():
            dtype = NULLABLE[dtype]
        return values.astype(pandas_dtype(dtype))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"column {column} does not fit its declared dtype {dtype}: {error}"
        ) from error


def spark_ddl(schema: Schema) -> str:
    """The schema as a Spark DDL string (`name type, ...`), for `applyInPandas`."""
    return ", ".join(f"{column} {SPARK_TYPES[dtype]}" for column, dtype in columns_of(schema))
