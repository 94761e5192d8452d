"""Declared output schemas of the monitoring tables and one conform()."""

from __future__ import annotations

import pandas as pd


def conform(frame: pd.DataFrame, schema: list[tuple[str, str]]) -> pd.DataFrame:
    """Exactly the schema's columns, in order and of the declared dtypes (missing ones null)."""
    out = pd.DataFrame(index=frame.index)
    for column, dtype in schema:
        values = (
            frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        )
        if dtype == "int64":
            out[column] = pd.to_numeric(values).fillna(0).astype("int64")
        elif dtype == "bool":
            out[column] = values.astype(object).where(values.notna(), False).astype(bool)
        elif dtype == "date":
            out[column] = pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)
        elif dtype == "object":
            out[column] = values.astype(object).where(values.notna(), None)
        else:
            out[column] = pd.to_numeric(values).astype(dtype)
    return out.reset_index(drop=True)
