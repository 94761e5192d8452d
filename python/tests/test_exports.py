"""Parquet exports: equal to the warehouse tables read back with DuckDB and pyarrow; replaced
atomically (the link always points at a complete version); no stale partition after a re-run with
fewer partitions; a plain `dbt build` needs no exports folder beforehand."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from churn.exports import VERSIONS, write_partitioned

EXPORTS = {
    "churn_quick_scores": ["player_id"],
    "churn_survival_curves": ["pooling_level", "segment_type", "segment_value", "month_number"],
}


def read_back_duckdb(folder: Path) -> pd.DataFrame:
    pattern = str(folder / "*" / "*" / "*.parquet")
    with duckdb.connect() as connection:
        return connection.sql(
            f"select * from read_parquet('{pattern}', hive_partitioning = true, "
            "hive_types = {'partner_id': varchar, 'geo': varchar})"
        ).df()


def read_back_pyarrow(folder: Path) -> pd.DataFrame:
    partitioning = ds.partitioning(
        pa.schema([("partner_id", pa.string()), ("geo", pa.string())]), flavor="hive"
    )
    table = ds.dataset(folder, format="parquet", partitioning=partitioning).to_table()
    return table.to_pandas(date_as_object=False)


def comparable(frame: pd.DataFrame, columns: list[str], order: list[str]) -> pd.DataFrame:
    frame = frame[columns].sort_values(order, kind="mergesort").reset_index(drop=True)
    # One representation of every value and of null, whatever dtype each reader chose.
    for column in columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


@pytest.mark.parametrize("table", sorted(EXPORTS))
def test_exports_read_back_with_duckdb_and_pyarrow_equal_the_warehouse_table(sample_build, table):
    warehouse = sample_build.frame(f"select * from marts.{table}")
    folder = sample_build.database.parent / "exports" / table
    assert folder.is_symlink() and (folder.parent / VERSIONS / table).is_dir()
    order = ["partner_id", "geo", *EXPORTS[table]]
    expected = comparable(warehouse, list(warehouse.columns), order)
    for reader in (read_back_duckdb, read_back_pyarrow):
        got = comparable(reader(folder), list(warehouse.columns), order)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=reader.__name__)
    manifest = sample_build.frame(f"select * from marts.{table}_by_partition")
    assert manifest["n_rows"].sum() == len(warehouse)
    assert set(zip(manifest["partner_id"], manifest["geo"], strict=True)) == set(
        zip(warehouse["partner_id"], warehouse["geo"], strict=True)
    )


def rows(partitions: dict[tuple[str, str], int]) -> pa.Table:
    frame = pd.DataFrame(
        [
            {"partner_id": partner, "geo": geo, "value": float(i)}
            for (partner, geo), n in partitions.items()
            for i in range(n)
        ]
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_a_rerun_with_fewer_partitions_leaves_no_stale_partition(tmp_path):
    write_partitioned(rows({("P01", "NJ"): 3, ("P02", "PA"): 2}), "scores", root=tmp_path)
    manifest = write_partitioned(rows({("P01", "NJ"): 4}), "scores", root=tmp_path)
    assert sorted(os.listdir(tmp_path / "scores")) == ["partner_id=P01"]
    assert manifest[["partner_id", "geo", "n_rows"]].values.tolist() == [["P01", "NJ", 4]]
    assert len(read_back_duckdb(tmp_path / "scores")) == 4
    # The version before stays for readers that opened it just before the swap; older ones go.
    write_partitioned(rows({("P03", "NY"): 1}), "scores", root=tmp_path)
    assert len(os.listdir(tmp_path / VERSIONS / "scores")) == 2


def test_a_plain_folder_from_before_is_replaced_by_the_link(tmp_path):
    (tmp_path / "scores" / "partner_id=OLD" / "geo=XX").mkdir(parents=True)
    write_partitioned(rows({("P01", "NJ"): 1}), "scores", root=tmp_path)
    assert (tmp_path / "scores").is_symlink()
    assert sorted(os.listdir(tmp_path / "scores")) == ["partner_id=P01"]


def test_readers_during_repeated_swaps_always_see_one_complete_version(tmp_path):
    versions = [{("P01", "NJ"): 300, ("P02", "PA"): 200}, {("P01", "NJ"): 50, ("P03", "NY"): 70}]
    totals = {sum(version.values()) for version in versions}
    write_partitioned(rows(versions[0]), "scores", root=tmp_path)
    seen, errors, done = [], [], threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            try:
                # A snapshot reader: resolve the link once, then read that version.
                seen.append(len(read_back_duckdb(Path(os.path.realpath(tmp_path / "scores")))))
            except Exception as error:  # noqa: BLE001 - collected and asserted on below
                errors.append(repr(error))

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for i in range(1, 16):
            reads_before = len(seen) + len(errors)
            write_partitioned(rows(versions[i % 2]), "scores", root=tmp_path)
            assert (tmp_path / "scores").exists()
            # Builds are minutes apart, reads take milliseconds: let a read finish before the
            # next swap, since only the previous version is kept for readers.
            while len(seen) + len(errors) < reads_before + 2 and reader.is_alive():
                done.wait(0.005)
    finally:
        done.set()
        reader.join()
    assert not errors, errors[:3]
    assert seen and set(seen) <= totals


def test_the_same_rows_give_byte_identical_files(tmp_path):
    data = rows({("P01", "NJ"): 5, ("P02", "PA"): 3})
    write_partitioned(data, "a", root=tmp_path)
    write_partitioned(data, "b", root=tmp_path)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert files and all(
        (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files
    )


def test_a_fresh_clone_needs_no_warehouse_or_exports_folder(tmp_path):
    from churn.warehouse import run_dbt

    fresh = tmp_path / "fresh"
    env = {
        "CHURN_DUCKDB_PATH": str(fresh / "warehouse" / "churn.duckdb"),
        "CHURN_EXPORT_ROOT": str(fresh / "warehouse" / "exports"),
    }
    run = run_dbt(["seed", "--select", "product_label_map"], tmp_path / "work", env=env)
    assert run.ok, run.output[-2000:]
    assert (fresh / "warehouse" / "churn.duckdb").is_file()
    assert (fresh / "warehouse" / "exports").is_dir()


def test_more_partitions_than_pyarrows_default_limit_are_written(tmp_path):
    # pyarrow refuses more than 1,024 partitions unless told; production has about 2,000.
    partitions = {(f"P{p:03d}", f"S{s:02d}"): 1 for p in range(45) for s in range(25)}
    manifest = write_partitioned(rows(partitions), "scores", root=tmp_path)
    assert len(manifest) == len(partitions) == 1125
    assert len(read_back_duckdb(tmp_path / "scores")) == 1125
