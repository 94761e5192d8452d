"""The test suite's way to run dbt: the package's warehouse runner (one implementation), and a
cheap private copy of a built warehouse for a test that runs dbt on it or writes to it."""

from __future__ import annotations

import shutil
from pathlib import Path

from churn.project import project_dir
from churn.warehouse import DbtRun, run_dbt

PROJECT_DIR = project_dir()


def copy_build(run: DbtRun, workdir: Path) -> DbtRun:
    """`run`'s warehouse file copied into `workdir` (no build): a dbt command there writes its
    target folder and takes its file lock away from the shared build."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run.database, workdir / run.database.name)
    return DbtRun(run.returncode, run.output, workdir / run.database.name)


__all__ = ["PROJECT_DIR", "DbtRun", "copy_build", "run_dbt"]
