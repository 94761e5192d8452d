"""The benchmark's workload: a simulated partner export of a given size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from churn.simulate.config import SimulationConfig
from churn.simulate.export import write_export
from churn.simulate.pipeline import simulate

# The source's own reading of a CSV export (models/staging/partner/_partner__sources.yml): the
# sniffer alone can mistake the quote character on a messy export.
CSV_OPTIONS = ", all_varchar = true, header = true, delim = ',', quote = '\"'"


@dataclass(frozen=True)
class Workload:
    """One export file and its size."""

    label: str
    path: Path
    n_players: int
    n_raw_rows: int
    n_partitions: int
    n_partners: int
    n_states: int


def make_workload(
    label: str,
    folder: Path,
    players: int,
    partners: int,
    states: int,
    seed: int,
    file_format: str = "csv.gz",
) -> Workload:
    """Simulates an export of `players` FTDs over `partners` x `states` into `folder`."""
    config = SimulationConfig(n_players=players, n_partners=partners, states=states, seed=seed)
    result = simulate(config)
    path = write_export(result.export_table, folder / f"{label}.{file_format}")
    return measure(label, path, partners, states)


def measure(label: str, path: Path, partners: int = 0, states: int = 0) -> Workload:
    """Players, raw rows and partner x brand partitions of an export file (the build replaces
    the partitions by the partner x geo count it finds)."""
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    options = "" if path.suffix == ".parquet" else CSV_OPTIONS
    with duckdb.connect() as connection:
        ((rows, players, partitions),) = connection.execute(
            f"select count(*), count(distinct (partner_id, account_id)), "
            f"count(distinct (partner_id, brand_id)) from {reader}(?{options})",
            [str(path)],
        ).fetchall()
    return Workload(label, path, players, rows, partitions, partners, states)
