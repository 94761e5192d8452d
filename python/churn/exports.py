"""Parquet exports for systems that read files, replaced atomically.

A table's export lives at `<root>/<table>/partner_id=.../geo=.../part-0.parquet` (hive-partitioned).
`<root>/<table>` is a symbolic link to one complete version under `<root>/.versions/<table>/`. A
build writes the new version into a folder of its own, then points the link at it in one rename,
so a reader sees the old complete set or the new one, never half-written files or a mix, and a
partition that left the data is gone with the old version. The version before stays on disk until
the next build, for readers that opened it just before the swap.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

# export_root lives in churn.export_paths, which the dbt plugin imports without pandas.
from churn.export_paths import export_root
from churn.frames import conform

VERSIONS = ".versions"
FILE_TEMPLATE = "part-{i}.parquet"
BATCH_ROWS = 100_000
MAX_PARTITIONS = 1 << 20  # partner x geo folders one export may write
MANIFEST_SCHEMA = (
    ("partner_id", "object"),
    ("geo", "object"),
    ("file_path", "object"),
    ("n_rows", "int64"),
)


def write_partitioned(
    rows: pa.RecordBatchReader | pa.Table,
    table: str,
    partition_by: Sequence[str] = ("partner_id", "geo"),
    root: Path | str | None = None,
    version: str | None = None,
) -> pd.DataFrame:
    """Writes `rows` (in the order given: sort them for byte-stable files) as the new version of
    the export `table` and swaps it in; returns the manifest, one row per file written."""
    root = Path(root) if root is not None else export_root()
    versions = root / VERSIONS / table
    versions.mkdir(parents=True, exist_ok=True)
    folder = versions / (version or uuid.uuid4().hex)
    staging = folder.with_name(folder.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    written: list[tuple[str, int]] = []

    def record(file: ds.WrittenFile) -> None:
        written.append((file.path, file.metadata.num_rows if file.metadata else 0))

    reader = rows.to_reader() if isinstance(rows, pa.Table) else rows
    ds.write_dataset(
        reader,
        staging,
        format="parquet",
        partitioning=list(partition_by),
        partitioning_flavor="hive",
        basename_template=FILE_TEMPLATE,
        existing_data_behavior="error",
        # One thread: rows keep their order, so the same data gives the same bytes.
        use_threads=False,
        file_visitor=record,
        create_dir=True,
        # pyarrow refuses more than 1,024 partitions by default; production has ~2,000.
        max_partitions=MAX_PARTITIONS,
    )
    staging.mkdir(parents=True, exist_ok=True)
    # Complete: only now does the folder get the name the link may point at.
    staging.rename(folder)
    swap_link(root / table, folder)
    remove_old_versions(versions, keep={folder.name, *_previous(versions, folder)})
    return manifest(written, staging, partition_by)


def swap_link(link: Path, folder: Path) -> None:
    """Points `link` at `folder` in one atomic rename (a new link beside it, then replace)."""
    if link.exists() and not link.is_symlink():
        # A plain folder from before atomic exports: move it aside, once.
        link.rename(link.parent / VERSIONS / link.name / f"legacy-{uuid.uuid4().hex}")
    temporary = link.with_name(f".{link.name}.{uuid.uuid4().hex}.link")
    temporary.symlink_to(os.path.relpath(folder, link.parent), target_is_directory=True)
    os.replace(temporary, link)


def _previous(versions: Path, current: Path) -> list[str]:
    """The most recent complete version other than `current` (kept for readers mid-read)."""
    others = [
        path
        for path in versions.iterdir()
        if path.is_dir() and path != current and not path.name.endswith(".writing")
    ]
    return [max(others, key=lambda path: path.stat().st_mtime).name] if others else []


def remove_old_versions(versions: Path, keep: set[str]) -> None:
    """Deletes every version folder not in `keep` (stale partitions go with them)."""
    for path in versions.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def manifest(
    written: list[tuple[str, int]], base: Path, partition_by: Sequence[str]
) -> pd.DataFrame:
    """One row per written file: its partition, its path inside the table folder, its rows."""
    rows = []
    for path, n_rows in sorted(written):
        relative = Path(path).relative_to(base)
        values = dict(unquote(part).split("=", 1) for part in relative.parts[:-1])
        rows.append(
            {
                **{key: values.get(key) for key in partition_by},
                "file_path": relative.as_posix(),
                "n_rows": n_rows,
            }
        )
    return conform(pd.DataFrame(rows), MANIFEST_SCHEMA)


def export_relation(
    relation,
    table: str,
    order_by: Sequence[str],
    partition_by: Sequence[str] = ("partner_id", "geo"),
) -> pd.DataFrame:
    """A DuckDB relation (a dbt ref) sorted by partition then `order_by`, streamed into the
    export `table`; the manifest of its files."""
    ordered = relation.order(", ".join([*partition_by, *order_by]))
    return write_partitioned(ordered.fetch_record_batch(BATCH_ROWS), table, partition_by)
