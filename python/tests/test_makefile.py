"""The Makefile's promises: a RAW path with spaces, quotes or dollars reaches dbt unchanged, and
the reports refuse, with a sentence, to run without a warehouse instead of building one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_harness import PROJECT_DIR

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
VENV = Path(sys.executable).parent.parent


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "--no-print-directory", f"VENV={VENV}", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.mark.parametrize(
    "raw",
    [
        "/data/o'brien exports/p07.csv",
        '/data/"quoted" $HOME `pwd` \\back/*.parquet',
        "relative/plain.csv",
    ],
)
def test_raw_reaches_dbt_vars_unchanged(raw: str) -> None:
    run = make("dbt-vars", f"RAW={raw}", "PARTNER=P07", "EXPORT_MONTH=2024-12-01")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "raw_activity_path": raw,
        "partner_id": "P07",
        "export_month": "2024-12-01",
    }


def test_no_raw_means_no_vars() -> None:
    run = make("dbt-vars", "RAW=", "PARTNER=", "EXPORT_MONTH=")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {}


def test_a_raw_is_never_silently_replaced_by_the_export_environment_variable() -> None:
    environment = {**os.environ, "CHURN_RAW_ACTIVITY_PATH": "/data/left over.csv"}
    run = make("check-export-env", "RAW=/data/p07.csv", env=environment)
    assert run.returncode != 0
    assert "RAW is /data/p07.csv but the environment variable CHURN_RAW_ACTIVITY_PATH" in run.stderr
    # The same file, or no RAW: the build goes on and says which export it reads.
    for raw in ("RAW=/data/left over.csv", "RAW="):
        run = make("check-export-env", raw, env=environment)
        assert run.returncode == 0, run.stderr
        assert "CHURN_RAW_ACTIVITY_PATH names: /data/left over.csv" in run.stdout
    without = {k: v for k, v in os.environ.items() if k != "CHURN_RAW_ACTIVITY_PATH"}
    run = make("check-export-env", "RAW=/data/p07.csv", env=without)
    assert run.returncode == 0 and run.stdout == "", run.stderr


def test_report_without_a_warehouse_says_so(tmp_path: Path) -> None:
    run = make("has-warehouse", f"DATABASE={tmp_path / 'none.duckdb'}")
    assert run.returncode != 0
    assert "there is no warehouse at" in run.stderr and "make build" in run.stderr


def test_report_names_the_export_the_warehouse_holds(sample_build) -> None:
    run = make("has-warehouse", f"DATABASE={sample_build.database}")
    assert run.returncode == 0, run.stderr
    assert "holds the export data/sample/activity.csv.gz (export month 2024-12" in run.stdout
