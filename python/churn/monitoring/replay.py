"""Replay: backfill the monitoring history from one historical export.

`python -m churn.monitoring.replay --export FILE --from YYYY-MM --to YYYY-MM` cuts the export at
each month (only the rows of months up to it, and no first-bet date after it) and builds the
warehouse month after month into one work folder (warehouse, artifacts, MLflow store), printing
progress per month. `--report` prints the monitoring table and the issue's targets afterwards;
`--verify` also rebuilds the last month and runs `--full-refresh` and checks that no history
table changes. `churn replay` is the same command.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from churn.warehouse import ANSI, DbtRun, run_dbt

HISTORY_TABLES = (
    "churn_score_history",
    "churn_model_metrics_history",
    "churn_drift",
    "churn_survival_backtest_history",
    "churn_performance_estimates",
    "churn_model_registry",
)
MONITORING_MODELS = (
    "churn_score_history",
    "churn_model_metrics_history",
    "churn_performance_estimates",
    "churn_drift",
)
MONITORING_TESTS = "path:models/marts/monitoring"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WARNED = re.compile(r"WARN \d+ (alert_[a-z_]+)")


class ReplayError(Exception):
    """The replay cannot go on; the message says why."""


@dataclass
class CutoffResult:
    """What one month's build did."""

    month: str
    seconds: float
    alerts: list[str] = field(default_factory=list)


def months(start: str, end: str) -> list[str]:
    """YYYY-MM months from start to end inclusive."""
    for value in (start, end):
        if not MONTH.match(value):
            raise ReplayError(f"months are YYYY-MM, got {value!r}")
    if start > end:
        raise ReplayError(f"--from {start} is after --to {end}")
    return [str(period) for period in pd.period_range(start, end, freq="M")]


def month_argument(value: str) -> str:
    """An argparse type: a YYYY-MM month, or a clear usage error."""
    if not MONTH.match(value):
        raise argparse.ArgumentTypeError(f"a month is YYYY-MM, got {value!r}")
    return value


def cut_export(export: str, month: str, out: Path) -> Path:
    """The export as it was known at the end of `month`: rows of later activity months dropped,
    a first-bet date after the month blanked. Rows whose month cannot be read are kept (the build
    quarantines them); every value stays text, as the partner wrote it."""
    # A date this module wrote itself, never text from the export, goes into the SQL below.
    month_end = pd.Period(month, freq="M").end_time.strftime("%Y-%m-%d")
    out.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        if export.endswith(".parquet"):
            relation = connection.read_parquet(export)
        else:
            # As the staging source reads it: all text, standard quoting, the whole file sniffed.
            relation = connection.read_csv(
                export, all_varchar=True, header=True, sep=",", quotechar='"', sample_size=-1
            )
        if "activity_month" not in relation.columns:
            raise ReplayError(f"{export} has no activity_month column")
        known = relation.filter(
            f"coalesce(try_cast(activity_month as date) <= date '{month_end}', true)"
        )
        if "qp_date" in relation.columns:
            known = known.project(
                ", ".join(
                    f"case when try_cast(qp_date as date) > date '{month_end}' then null "
                    "else qp_date end as qp_date"
                    if column == "qp_date"
                    else f'"{column}"'
                    for column in relation.columns
                )
            )
        known.write_csv(str(out), header=True, compression="gzip")
    return out


def _selection(with_survival: bool) -> list[str]:
    models = [f"+{name}" for name in MONITORING_MODELS]
    if with_survival:
        models.append("+churn_survival_backtest_history")
    return models


def build_month(
    export: str,
    month: str,
    workdir: Path,
    variables: dict,
    with_survival: bool,
    extra: Sequence[str] = (),
    all_tests: bool = False,
) -> tuple[DbtRun, list[str]]:
    """Cuts the export at `month`, builds the monitoring models and everything upstream without
    their tests, then runs the monitoring tests (grains and the warn alerts); with `all_tests`, one
    `dbt build` that tests every model on the way (slower)."""
    cut = cut_export(export, month, workdir / "cuts" / f"activity-{month}.csv.gz")
    variables = {**variables, "raw_activity_path": str(cut), "export_month": f"{month}-01"}
    selection = ["--select", *_selection(with_survival)]
    if all_tests:
        steps = [["build", *selection, "--exclude", "resource_type:unit_test", *extra]]
    else:
        # The seeds come with the selection's upstream; tests are left to the second command.
        skipped = [] if with_survival else ["--exclude", "churn_survival_backtest_history"]
        steps = [
            [
                "build",
                *selection,
                "--exclude",
                "resource_type:test",
                "resource_type:unit_test",
                *extra,
            ],
            ["test", "--select", MONITORING_TESTS, *skipped],
        ]
    outputs = []
    for command in steps:
        run = run_dbt(command, workdir, variables)
        output = ANSI.sub("", run.output)
        outputs.append(output)
        if run.returncode != 0:
            tail = "\n".join(line for line in output.splitlines()[-25:] if line.strip())
            raise ReplayError(f"dbt {command[0]} of {month} failed:\n{tail}")
    return run, sorted(set(WARNED.findall("\n".join(outputs))))


def _print(line: str) -> None:
    print(line, flush=True)


def replay(
    export: str,
    start: str,
    end: str,
    workdir: Path,
    variables: dict | None = None,
    with_survival: bool = True,
    progress: Callable[[str], None] = _print,
    all_tests: bool = False,
) -> list[CutoffResult]:
    """Builds every month from start to end into `workdir`, printing one line per month."""
    if not Path(export).is_file():
        raise ReplayError(f"no export file at {export}")
    export = str(Path(export).resolve())
    results = []
    todo = months(start, end)
    for number, month in enumerate(todo, 1):
        started = time.perf_counter()
        _, alerts = build_month(
            export, month, Path(workdir), variables or {}, with_survival, all_tests=all_tests
        )
        result = CutoffResult(month, time.perf_counter() - started, alerts)
        results.append(result)
        progress(
            f"[{number}/{len(todo)}] {month}: built in {result.seconds:.0f}s; "
            f"alerts: {', '.join(alerts) if alerts else 'none'}"
        )
    return results


def history_fingerprint(database: Path) -> dict[str, str]:
    """A digest of every history table's rows (order-independent; the registry's timestamps
    excluded), to show that a rebuild changed nothing."""
    digests = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        present = {
            row[0]
            for row in connection.sql(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        for table in HISTORY_TABLES:
            if table not in present:
                continue
            frame = connection.sql(f"select * from marts.{table}").df()
            frame = frame.drop(columns=["registered_at"], errors="ignore")
            frame = frame.sort_values(list(frame.columns), kind="mergesort")
            text = frame.to_csv(index=False, float_format="%.12g")
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            digests[table] = f"{len(frame)} rows, sha256 {digest}"
    return digests


def verify(
    export: str,
    month: str,
    workdir: Path,
    variables: dict,
    with_survival: bool,
    progress: Callable[[str], None] = _print,
) -> bool:
    """Rebuilds `month` twice more (plainly, then with --full-refresh) and compares the history
    tables with the state before; True when nothing changed."""
    database = Path(workdir) / "churn.duckdb"
    before = history_fingerprint(database)
    build_month(str(Path(export).resolve()), month, Path(workdir), variables, with_survival)
    again = history_fingerprint(database)
    build_month(
        str(Path(export).resolve()),
        month,
        Path(workdir),
        variables,
        with_survival,
        extra=["--full-refresh"],
    )
    refreshed = history_fingerprint(database)
    for table, digest in before.items():
        progress(
            f"  {table}: {digest}; rebuilt {'same' if again.get(table) == digest else 'CHANGED'}"
            f"; after --full-refresh {'same' if refreshed.get(table) == digest else 'CHANGED'}"
        )
    return before == again == refreshed


def main(argv: Sequence[str] | None = None) -> int:
    """`churn replay`: returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="churn replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--export", required=True, help="historical export: CSV(.gz) or Parquet")
    parser.add_argument("--from", dest="start", required=True, help="first cutoff, YYYY-MM")
    parser.add_argument("--to", dest="end", required=True, help="last cutoff, YYYY-MM")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("warehouse/replay"),
        help="folder of the replayed warehouse, artifacts and MLflow store",
    )
    parser.add_argument("--partner-id", help="partner id for an export without partner_id")
    parser.add_argument(
        "--no-survival",
        action="store_true",
        help="skip the survival models (and their backtest history): faster",
    )
    parser.add_argument(
        "--all-tests",
        action="store_true",
        help="dbt build with every test per month (default: run, then the monitoring tests)",
    )
    parser.add_argument(
        "--shift-month",
        type=month_argument,
        help="YYYY-MM of a known change, for the report's targets",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra dbt var (repeatable), e.g. monitoring_drift_min_players=50",
    )
    parser.add_argument("--report", action="store_true", help="print the monitoring table")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="rebuild the last month and --full-refresh; check history unchanged",
    )
    args = parser.parse_args(argv)
    variables: dict = {}
    if args.partner_id:
        variables["partner_id"] = args.partner_id
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"error: --var takes NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        variables[name.strip()] = _value(value.strip())
    try:
        replay(
            args.export,
            args.start,
            args.end,
            args.workdir,
            variables,
            not args.no_survival,
            all_tests=args.all_tests,
        )
        ok = True
        if args.verify:
            print(f"verify: rebuilding {args.end} plainly and with --full-refresh")
            ok = verify(args.export, args.end, args.workdir, variables, not args.no_survival)
            print(f"verify: history unchanged: {'yes' if ok else 'NO'}")
        if args.report:
            from churn.monitoring.summary import print_report

            print_report(args.workdir / "churn.duckdb", args.shift_month)
    except ReplayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if ok else 1


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return {"true": True, "false": False}.get(text.lower(), text)


if __name__ == "__main__":
    raise SystemExit(main())
