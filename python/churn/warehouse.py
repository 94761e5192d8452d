"""Runs this dbt project on an export in a warehouse of its own (a DuckDB file in a work folder),
for tests, validation and scoring outside the default build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class DbtRun:
    """The outcome of one dbt command: exit code, console output and the warehouse file."""

    returncode: int
    output: str
    database: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    def frame(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


def run_dbt(command: list[str], workdir: Path, variables: dict | None = None) -> DbtRun:
    """Runs `dbt <command>` on the project, its warehouse, exports, target and logs in workdir."""
    workdir = Path(workdir)
    (workdir / "exports").mkdir(parents=True, exist_ok=True)
    database = workdir / "churn.duckdb"
    env = dict(os.environ)
    env.update(
        CHURN_DUCKDB_PATH=str(database),
        CHURN_EXPORT_ROOT=str(workdir / "exports"),
        # Model artifacts stay with this warehouse, not in the repo's artifacts/.
        CHURN_ARTIFACT_DIR=str(workdir / "artifacts"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    dbt = Path(sys.executable).parent / "dbt"
    args = [
        str(dbt),
        *command,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    if variables:
        args += ["--vars", json.dumps(variables)]
    completed = subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, database)
