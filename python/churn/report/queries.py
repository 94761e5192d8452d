"""The analyses/*.sql queries, compiled against a built warehouse and run.

The analyses are dbt analyses: `dbt compile` renders them under target/compiled/. They use
nothing of Jinja but `{{ ref('model') }}`, so the report compiles them the same way without a dbt
run: each ref becomes the schema-qualified table that the warehouse file holds (a test checks the
result equals dbt's compiled SQL). Anything else between braces is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from churn.project import analyses_dir

_REF = re.compile(r"\{\{\s*ref\(\s*(['\"])(\w+)\1\s*\)\s*\}\}")
_JINJA = re.compile(r"\{\{|\{%|\{#")


class AnalysisError(Exception):
    """An analysis cannot be compiled or run; the message says which and why."""


@dataclass
class QueryResult:
    """One analysis: its frame, or the reason it could not run (a missing table, say)."""

    name: str
    frame: pd.DataFrame | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.frame is not None and self.error is None

    @property
    def rows(self) -> pd.DataFrame | None:
        """The frame when the analysis ran and returned rows, else None."""
        if self.frame is None or self.error is not None or not len(self.frame):
            return None
        return self.frame


def analysis_names(directory: Path | None = None) -> list[str]:
    """Names of the analyses (file stems), sorted."""
    # The project is looked up at the call, so a --project-dir given after import counts.
    return sorted(path.stem for path in (directory or analyses_dir()).glob("*.sql"))


def relations(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Table or view name -> `schema.name` for every relation of the warehouse's own catalog."""
    rows = connection.sql(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for schema, name in rows:
        found.setdefault(name, []).append(f"{schema}.{name}")
    return {name: paths[0] for name, paths in found.items() if len(paths) == 1}


def compile_sql(text: str, tables: dict[str, str], name: str = "analysis") -> str:
    """The analysis with each `{{ ref('x') }}` replaced by the warehouse's `schema.x`."""

    def resolve(match: re.Match[str]) -> str:
        model = match.group(2)
        if model not in tables:
            raise AnalysisError(f"{name}: the warehouse has no table {model!r} (not built?)")
        return tables[model]

    compiled = _REF.sub(resolve, text)
    if _JINJA.search(compiled):
        raise AnalysisError(f"{name}: only {{{{ ref('...') }}}} is supported in analyses")
    return compiled


def read_analysis(name: str, directory: Path | None = None) -> str:
    """The raw text of analyses/<name>.sql."""
    path = (directory or analyses_dir()) / f"{name}.sql"
    if not path.is_file():
        raise AnalysisError(f"no analysis {path}")
    return path.read_text()


def run_analyses(
    database: Path | str, names: list[str] | None = None, directory: Path | None = None
) -> dict[str, QueryResult]:
    """Runs the analyses (all by default) read-only on the warehouse file. An analysis whose
    tables are missing or whose SQL fails gives a result with `error` set instead of raising."""
    database = Path(database)
    if not database.is_file():
        raise AnalysisError(f"no warehouse at {database}: run `make build` first")
    results: dict[str, QueryResult] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
        tables = relations(connection)
        for name in names or analysis_names(directory):
            try:
                sql = compile_sql(read_analysis(name, directory), tables, name)
                frame = connection.sql(sql).df()
            except (AnalysisError, duckdb.Error) as error:
                message = str(error).splitlines()[0]
                results[name] = QueryResult(name, None, message)
                continue
            results[name] = QueryResult(name, frame)
    return results
