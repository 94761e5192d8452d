"""The test suite's way to run dbt: the package's warehouse runner (one implementation)."""

from churn.warehouse import PROJECT_DIR, DbtRun, run_dbt

__all__ = ["PROJECT_DIR", "DbtRun", "run_dbt"]
