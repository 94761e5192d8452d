"""The only code that starts dbt: runs this dbt project on an export in a warehouse of its own (a
DuckDB file, exports, target and logs in a work folder), for tests, validation, scoring and the
benchmark outside the default build."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

from churn.environment import environment_set
from churn.project import PROJECT_DIR_VARIABLE, project_dir

# The export reaches dbt through this environment variable (the macro raw_activity_path reads it
# before the var): dbt throws its saved parse away whenever a --vars value changes.
EXPORT_PATH_VARIABLE = "CHURN_RAW_ACTIVITY_PATH"
# A saved dbt parse (target/partial_parse.msgpack) that a new work folder starts from; the test
# suite sets it. dbt checks it against the project, vars and profile and reparses what differs.
PARSE_SEED_VARIABLE = "CHURN_DBT_PARSE_SEED"
SAVED_PARSE = "partial_parse.msgpack"

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")


@dataclass
class DbtRun:
    """The outcome of one dbt command: exit code, console output, the warehouse file and what the
    operating system measured (wall seconds, peak resident memory of dbt and its children)."""

    returncode: int
    output: str
    database: Path
    target_path: Path | None = None
    seconds: float = float("nan")
    peak_rss_mb: float = float("nan")
    # (unix time, summed RSS in MB) of dbt and its descendants, every quarter second.
    memory_samples: list[tuple[float, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    def frame(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()

    def run_results(self) -> dict:
        """dbt's target/run_results.json of this run (timings and status per node)."""
        if self.target_path is None:
            raise FileNotFoundError("this run has no target folder")
        return json.loads((self.target_path / "run_results.json").read_text(encoding="utf-8"))

    def errors(self) -> str:
        """dbt's own summary of what failed, for an error message."""
        return dbt_errors(self.output)


def dbt_executable() -> list[str]:
    """The command that starts dbt from this Python environment."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("dbt")
    if found:
        return [found]
    return [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def dbt_environment(
    workdir: Path,
    project: Path,
    extra: dict[str, str] | None = None,
    in_workdir: bool = False,
) -> dict:
    """The environment of a dbt run whose warehouse, exports and artifacts live in `workdir`;
    `in_workdir`: dbt runs in `workdir`, and the warehouse file and the artifacts, which the
    profile and the model configs read, are named relative to it, the same for every folder."""
    env = dict(os.environ)
    base = Path() if in_workdir else workdir
    env.update(
        CHURN_DUCKDB_PATH=str(base / "churn.duckdb"),
        CHURN_EXPORT_ROOT=str(workdir / "exports"),
        # Model artifacts stay with this warehouse, not in the repo's artifacts/.
        CHURN_ARTIFACT_DIR=str(base / "artifacts"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env[PROJECT_DIR_VARIABLE] = str(project)
    # The export comes from the vars unless the caller passes it here (run_dbt does).
    env[EXPORT_PATH_VARIABLE] = ""
    env.update(extra or {})
    return env


def run_dbt(
    command: list[str],
    workdir: Path,
    variables: dict | None = None,
    project: Path | str | None = None,
    env: dict[str, str] | None = None,
) -> DbtRun:
    """Runs `dbt <command>` on the project (churn.project decides which unless given), with its
    warehouse, exports, artifacts, target and logs in `workdir`. `env` adds or overrides
    environment variables (e.g. CHURN_THREADS, CHURN_MEMORY_LIMIT).

    So that dbt can reuse a saved parse from one work folder to the next, the export path goes
    through EXPORT_PATH_VARIABLE instead of --vars, and dbt runs in `workdir` with the paths it
    parses relative to it (dbt reparses everything when a var or the profile changes)."""
    variables = dict(variables or {})
    export = variables.get("raw_activity_path")
    # A blank or non-text value stays a var, for the macros to refuse in their words.
    moved = {}
    if isinstance(export, str) and export.strip():
        moved[EXPORT_PATH_VARIABLE] = variables.pop("raw_activity_path")
    workdir, folder, args = _dbt_arguments(command, workdir, variables, project)
    _start_from_saved_parse(workdir / "target")
    environment = dbt_environment(workdir, folder, {**moved, **(env or {})}, in_workdir=True)
    measured = _run_measured([*dbt_executable(), *args], cwd=workdir, env=environment)
    return DbtRun(
        measured.returncode,
        measured.output,
        workdir / "churn.duckdb",
        workdir / "target",
        measured.seconds,
        measured.peak_rss_mb,
        measured.memory_samples,
    )


def invoke_dbt_in_process(
    command: list[str],
    workdir: Path,
    variables: dict | None = None,
    project: Path | str | None = None,
    env: dict[str, str] | None = None,
) -> DbtRun:
    """`run_dbt` inside this process (dbt's programmatic runner), for an engine whose session
    lives here: dbt-spark's `method: session` uses the running local Spark session."""
    from dbt.cli.main import dbtRunner

    workdir, folder, args = _dbt_arguments(command, workdir, variables, project)
    started = time.perf_counter()
    with environment_set(dbt_environment(workdir, folder, env)):
        result = dbtRunner().invoke(args)
    failed = [
        f"{item.node.name}: {item.message}"
        for item in getattr(result.result, "results", [])
        if str(item.status) in ("error", "fail", "runtime error")
    ]
    if result.exception is not None:
        failed.append(f"{type(result.exception).__name__}: {result.exception}")
    return DbtRun(
        0 if result.success else 1,
        "\n".join(failed),
        workdir / "churn.duckdb",
        workdir / "target",
        time.perf_counter() - started,
    )


def _start_from_saved_parse(target: Path) -> None:
    """Copies the saved parse PARSE_SEED_VARIABLE names into a target folder that has none."""
    seed = os.environ.get(PARSE_SEED_VARIABLE)
    if seed and Path(seed).is_file() and not (target / SAVED_PARSE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, target / SAVED_PARSE)


def _dbt_arguments(
    command: list[str], workdir: Path, variables: dict | None, project: Path | str | None
) -> tuple[Path, Path, list[str]]:
    """The absolute work folder (its exports folder created), the project folder and dbt's
    arguments after the executable: the command, then folders and vars."""
    workdir = Path(workdir).resolve()
    folder = project_dir(project)
    (workdir / "exports").mkdir(parents=True, exist_ok=True)
    args = [
        *command,
        "--project-dir",
        str(folder),
        "--profiles-dir",
        str(folder),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    if variables:
        args += ["--vars", json.dumps(variables)]
    return workdir, folder, args


class Measured(NamedTuple):
    returncode: int
    output: str
    seconds: float
    peak_rss_mb: float
    memory_samples: list[tuple[float, float]]


def _run_measured(args: list[str], cwd: Path, env: dict) -> Measured:
    """Runs a command to its end; returns exit code, output, wall seconds and peak RSS in MB: of
    the process and all its descendants together (sampled from /proc every quarter second where
    there is one, so the workers of a process pool count with dbt; elsewhere the largest single
    process it waited for, from wait4), and the samples over time."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = _TreeMemory(process.pid)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            sampler.stop()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    # ru_maxrss is in KB on Linux, in bytes on macOS. It counts the launching process's memory
    # the child held between fork and exec (a 1 GB pytest worker made a 400 MB job read 1.1 GB),
    # so it is the peak only where nothing was sampled (no /proc, or a run under 0.25 s).
    largest = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    peak = sampler.peak_mb if sampler.samples else largest
    return Measured(process.returncode, output, seconds, peak, sampler.samples)


class _TreeMemory:
    """Samples the summed RSS of a process and its descendants every `interval` seconds on a
    thread (Linux /proc; elsewhere there is none) and keeps every sample (unix time, MB), so a
    model's peak can be read from its start and end."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if Path("/proc/self/statm").exists():
            self._thread.start()

    def _sample(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
        while not self._done.wait(self.interval):
            pages = sum(_resident_pages(pid) for pid in _process_tree(self.pid))
            self.samples.append((time.time(), pages * page_mb))

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()


def _process_tree(root: int) -> list[int]:
    """`root` and its descendants, from the parent id in every /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name sits in parentheses and may hold spaces: read after the last ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        tree.append(pid)
        waiting.extend(children.get(pid, []))
    return tree


def _resident_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0  # the process ended between the scan and the read


def dbt_errors(output: str) -> str:
    """dbt's own summary of what failed (the lines after "Completed with N errors"), without
    colours, timestamps and macro call chains; the log's tail when there is no summary."""
    lines = [TIMESTAMP.sub("", line).rstrip() for line in ANSI.sub("", output).splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Completed with")]
    summary = lines[starts[-1] + 1 :] if starts else lines[-12:]
    kept = [line.strip() for line in summary if line.strip() and not line.strip().startswith(">")]
    return "\n".join(f"  {line}" for line in kept[:20])
