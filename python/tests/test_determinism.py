"""Two builds of the sample are the same table by table and file by file.

Float sums that depend on thread scheduling, ties broken by row order, or choices that float noise
can flip would show here: the second build runs with two dbt threads (and DuckDB's own threads).
What is build metadata by nature is left out and named: the run records (meta.build_runs), the
MLflow registry mirror (run ids and times) and timestamp columns. The work folder's path, which
the two builds cannot share, is masked in text columns.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from dbt_harness import DbtRun, run_dbt

BUILD_METADATA = {"meta.build_runs", "marts.churn_model_registry"}
TIME_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIME")


@pytest.fixture(scope="module")
def second_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """Seeds and models again, without the dbt tests: they write no table, and the first build
    ran each of them on the tables this one must equal."""
    run = run_dbt(
        ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
        tmp_path_factory.mktemp("second"),
        env={"CHURN_THREADS": "2"},
    )
    assert run.returncode == 0, run.output[-4000:]
    return run


def compared_tables(database: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """(schema.table, [(column, type)]) of every table outside the build metadata."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute("""
            select table_schema || '.' || table_name, column_name, data_type
            from information_schema.columns
            where table_catalog = current_database()
              and (table_schema, table_name) in (
                select (table_schema, table_name) from information_schema.tables
                where table_type = 'BASE TABLE')
            order by table_schema, table_name, ordinal_position""").fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if table not in BUILD_METADATA:
            tables.setdefault(table, []).append((column, data_type))
    return sorted(tables.items())


def projection(columns: list[tuple[str, str]], workdir: Path) -> str:
    """The compared columns, with the work folder masked in text."""
    parts = []
    for column, data_type in columns:
        if data_type.upper() in TIME_TYPES:
            continue
        quoted = '"' + column.replace('"', '""') + '"'
        if data_type.upper() == "VARCHAR":
            folder = str(workdir.resolve()).replace("'", "''")
            parts.append(f"replace({quoted}, '{folder}', '<work>') as {quoted}")
        else:
            parts.append(quoted)
    return ", ".join(parts)


def differing_rows(first: DbtRun, second: DbtRun, table: str, columns) -> int:
    """Rows that are not bit-for-bit the same in the two warehouses (both directions)."""
    left = projection(columns, first.database.parent)
    right = projection(columns, second.database.parent)
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(f"attach '{first.database}' as first_build (read_only)")
        connection.execute(f"attach '{second.database}' as second_build (read_only)")
        (count,) = connection.execute(f"""
            select count(*) from (
                (select {left} from first_build.{table}
                 except all select {right} from second_build.{table})
                union all
                (select {right} from second_build.{table}
                 except all select {left} from first_build.{table})
            )""").fetchone()
    return count


def export_files(run: DbtRun) -> dict[str, str]:
    """sha256 of every Parquet file each export's current folder holds, by its path there."""
    root = run.database.parent / "exports"
    files = {}
    for table in sorted(path for path in root.iterdir() if not path.name.startswith(".")):
        current = table.resolve()
        for file in sorted(current.rglob("*.parquet")):
            files[f"{table.name}/{file.relative_to(current)}"] = hashlib.sha256(
                file.read_bytes()
            ).hexdigest()
    return files


def test_two_builds_give_every_table_bit_for_bit(sample_build, second_build):
    tables = compared_tables(sample_build.database)
    assert len(tables) > 30
    assert [name for name, _ in tables] == [
        name for name, _ in compared_tables(second_build.database)
    ]
    differing = {
        table: count
        for table, columns in tables
        if (count := differing_rows(sample_build, second_build, table, columns))
    }
    assert differing == {}


def test_two_builds_write_the_same_export_files_byte_for_byte(sample_build, second_build):
    first, second = export_files(sample_build), export_files(second_build)
    assert len(first) > 40
    assert first == second
