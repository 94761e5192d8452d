"""`make test` (what `.ci/run` runs) starts every check of `make lint` no later than pytest
(sqlfluff beside it), and the pre-commit hooks run the same tools."""

from __future__ import annotations

import yaml
from dbt_harness import PROJECT_DIR
from test_makefile import make, pytestmark  # noqa: F401 (skips without GNU make)

LINT_TOOLS = ("ruff check", "ruff format --check", "mypy", "sqlfluff lint")


def test_make_test_runs_every_lint_check_before_pytest() -> None:
    run = make("-n", "test")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    pytest_at = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    for tool in LINT_TOOLS:
        at = [i for i, line in enumerate(lines) if f"bin/{tool}" in line]
        assert at and at[0] < pytest_at, f"{tool} is not run before pytest"


def test_pre_commit_hooks_run_the_lint_tools() -> None:
    config = yaml.safe_load((PROJECT_DIR / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    for tool in LINT_TOOLS:
        assert any(f".venv/bin/{tool}" in entry for entry in entries), tool
