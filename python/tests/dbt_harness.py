"""The test suite's way to run dbt: the package's warehouse runner (one implementation)."""

from churn.project import project_dir
from churn.warehouse import DbtRun, run_dbt

PROJECT_DIR = project_dir()

__all__ = ["PROJECT_DIR", "DbtRun", "run_dbt"]
