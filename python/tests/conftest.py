"""Shared fixtures: the bundled sample built once per test session in a throw-away warehouse, also
when pytest-xdist runs the session in several worker processes (`make test` does)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from churn.warehouse import PARSE_SEED_VARIABLE, SAVED_PARSE
from dbt_harness import DbtRun, run_dbt


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], DbtRun]
) -> DbtRun:
    """`build(workdir)` run once per session: under pytest-xdist the first worker to ask builds
    while the others wait on a file lock, then each reads the same warehouse (and the same
    failure, without building again)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(tmp_path_factory.mktemp(name))
    import fcntl  # POSIX only, as `make test` is

    # Each worker's temporary folder sits in one folder of the whole session.
    shared = tmp_path_factory.getbasetemp().parent
    workdir, record = shared / name, shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            run = build(workdir)
            fields = ("returncode", "output", "seconds", "peak_rss_mb")
            record.write_text(json.dumps({field: getattr(run, field) for field in fields}))
    saved = json.loads(record.read_text())
    return DbtRun(database=workdir / "churn.duckdb", target_path=workdir / "target", **saved)


@pytest.fixture(scope="session", autouse=True)
def saved_dbt_parse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One `dbt parse` per session, which every later dbt run starts from (run_dbt copies it into
    a new work folder): a run with no vars but the export's reparses nothing, about 8 CPU-s less
    than a full parse. dbt checks the saved parse and reparses whatever differs."""
    run = build_once(tmp_path_factory, "parse", lambda workdir: run_dbt(["parse"], workdir))
    assert run.returncode == 0, run.output[-4000:]
    saved = run.target_path / SAVED_PARSE
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PARSE_SEED_VARIABLE, str(saved))
        yield saved


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """`dbt build` on the bundled sample (the project's default vars): every model, data test and
    unit test, once per session. Tests only read it (read-only connections); a test that runs dbt
    on it or writes next to it works on `dbt_harness.copy_build(sample_build, folder)`."""
    run = build_once(tmp_path_factory, "sample", lambda workdir: run_dbt(["build"], workdir))
    assert run.returncode == 0, run.output[-4000:]
    return run


# An export whose every row is quarantined: four players over six months in a brand "XX" that
# maps to no state.
ALL_BAD_ROWS = 24


def _build_all_bad(workdir: Path) -> DbtRun:
    import pandas as pd
    from test_pipeline_hostile import COLUMNS, variant

    rows = [
        variant(account_id=f"Z{i}", brand_id="XX", activity_month=f"2023-{m:02d}-01")
        for i in range(ALL_BAD_ROWS // 6)
        for m in range(1, 7)
    ]
    workdir.mkdir(parents=True, exist_ok=True)
    export = workdir / "all_bad.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(export, index=False)
    return run_dbt(["build"], workdir, {"raw_activity_path": str(export)})


@pytest.fixture(scope="session")
def all_bad_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """`dbt build` of every model on the ALL_BAD_ROWS export, once per session: the thin-export
    tests and the report tests read the same empty warehouse (read-only), so neither pays for a
    second identical build. Each test asserts the exit code it needs."""
    return build_once(tmp_path_factory, "all-bad", _build_all_bad)


# The order pytest-xdist hands out files (`make test` gives them in collection order with
# --no-loadscope-reorder). The first builds the sample (sample_build) while the other worker runs
# a long file that needs none; then the longest first (measured with `--durations`, setup
# included; a fixture that waits for another file's build counts as that file's), so the two
# workers finish together instead of one running a long file alone at the end. A file missing
# here runs after them: a stale list costs minutes, never a result.
SLOWEST_FIRST = (
    "test_classifier_build.py",
    "test_replay.py",
    "test_spark.py",
    "test_hostile_vars.py",
    "test_hostile_dates.py",
    "test_survival_fitting.py",
    "test_hostile_files.py",
    "test_pipeline_hostile.py",
    "test_hostile_one_partner.py",
    "test_determinism.py",
    "test_hostile_window.py",
    "test_report_small_export.py",
    "test_report.py",
    "test_browser_reports.py",
    "test_bench.py",
    "test_exports.py",
    "test_survival_outcome.py",
    "test_artifact.py",
    "test_classifier.py",
    "test_docs_complete.py",
    "test_report_facts.py",
    "test_monitoring.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of SLOWEST_FIRST first, in its order; the others after, as collected."""
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
