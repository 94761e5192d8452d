"""The floor: one DuckDB pass that reads the raw export and aggregates it per player. No build of
this project can be faster than reading its input once."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from churn.bench.workload import CSV_OPTIONS


def floor_seconds(path: Path, threads: int, memory_limit: str) -> float:
    """Wall seconds of reading the export and aggregating it to one row per player."""
    reader = "read_parquet(?)" if path.suffix == ".parquet" else f"read_csv(?{CSV_OPTIONS})"
    with duckdb.connect(config={"threads": threads, "memory_limit": memory_limit}) as connection:
        started = time.perf_counter()
        connection.execute(
            f"""
            create temp table per_player as
            select
                partner_id, brand_id, account_id,
                min(ftd_date) as ftd_date,
                min(activity_month) as first_month,
                max(activity_month) as last_month,
                count(*) as n_rows,
                sum(try_cast(total_deposit as double)) as deposit,
                sum(try_cast(total_handle as double)) as handle,
                sum(try_cast(total_ngr as double)) as ngr
            from {reader}
            group by partner_id, brand_id, account_id
        """,
            [str(path)],
        )
        return time.perf_counter() - started
