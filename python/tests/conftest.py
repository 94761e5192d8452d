"""Shared fixtures: the bundled sample built once per test session in a throw-away warehouse."""

from __future__ import annotations

import pytest
from dbt_harness import DbtRun, run_dbt


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """`dbt build` on the bundled sample (the project's default vars)."""
    run = run_dbt(["build"], tmp_path_factory.mktemp("sample"))
    assert run.returncode == 0, run.output[-4000:]
    return run
