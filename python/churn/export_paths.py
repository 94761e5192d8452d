"""Where the Parquet exports live (`churn.exports` writes them). Kept apart from it, with nothing
heavier than the standard library, because the dbt-duckdb plugin `churn.duckdb_folders` reads it
in every dbt run, most of which never import pandas or pyarrow."""

from __future__ import annotations

import os
from pathlib import Path

EXPORT_ROOT_VARIABLE = "CHURN_EXPORT_ROOT"
DEFAULT_EXPORT_ROOT = "warehouse/exports"


def export_root() -> Path:
    """The exports folder: $CHURN_EXPORT_ROOT (relative to the working folder) or the default."""
    return Path(os.environ.get(EXPORT_ROOT_VARIABLE) or DEFAULT_EXPORT_ROOT)
