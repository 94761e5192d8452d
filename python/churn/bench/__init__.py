"""`churn bench` / `python -m churn.bench` / `make bench`: the scale benchmark.

Simulates the workload (by default 1M players over 450 partners x 30 states: 2,000+ partitions,
about 5M raw rows), builds the whole dbt project on it, and prints, measured in the same run on the
same file: time per model and in total, peak resident memory, rows per second, the floor (one
DuckDB pass reading the export and aggregating it per player) and the naive loop (pandas, then per
partition lifelines + scikit-learn), each as a ratio; then a scaling series at 1/4, 1/2, 1 and 2
times the rows and one at fixed rows with 500, 1,000 and 2,000 partitions; and the targets with
met / not met. Timing is shown by this command, never asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from churn.bench.build import BuildTiming, run_build
from churn.bench.floor import floor_seconds
from churn.bench.naive import NaiveTiming, time_naive
from churn.bench.report import render
from churn.bench.workload import Workload, make_workload

QUICK = {
    "players": 3_000,
    "partners": 3,
    "states": 2,
    "row_factors": "1",
    "partition_counts": "",
    "naive_budget": 5.0,
}


def _numbers(text: str, kind=float) -> list:
    return [kind(part) for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="churn bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--players", type=int, default=1_000_000, help="players of the workload")
    parser.add_argument("--partners", type=int, default=450)
    parser.add_argument("--states", type=int, default=30, help="the N largest state markets")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--format",
        choices=["csv.gz", "parquet"],
        default="csv.gz",
        help="file format of the simulated export",
    )
    parser.add_argument(
        "--row-factors",
        default="0.25,0.5,1,2",
        help="row scaling series: multiples of --players ('' for none)",
    )
    parser.add_argument(
        "--partition-counts",
        default="500,1000,2000",
        help="fixed-rows series: target partition counts ('' for none)",
    )
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=300.0,
        help="seconds of naive fitting to time before scaling by partitions",
    )
    parser.add_argument("--threads", type=int, default=2, help="CHURN_THREADS for the build")
    parser.add_argument("--memory-limit", default="3GB", help="CHURN_MEMORY_LIMIT for DuckDB")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="folder for exports and warehouses (default: a temporary folder, removed at the end)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/bench"),
        help="where bench.md and bench.json are written",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and no series: checks the benchmark runs, in a minute",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints its tables; returns 1 if a build failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**QUICK)
        args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="churn-bench-"))
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        results = run_benchmark(args, workdir, args.out / "bench.partial.json")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(
        json.dumps(results, indent=2, default=str), encoding="utf-8"
    )
    text = render(results)
    print(text)
    (args.out / "bench.md").write_text(text, encoding="utf-8")
    return 0 if all(build["ok"] for build in results["builds"]) else 1


def run_benchmark(args: argparse.Namespace, workdir: Path, partial: Path | None = None) -> dict:
    """Every measurement of one benchmark run, as plain data; each step's figures are also
    written to `partial` as they come, so a long run that is stopped keeps what it measured."""
    workdir.mkdir(parents=True, exist_ok=True)
    builds: dict[str, BuildTiming] = {}
    done: dict = {}

    def keep(**figures) -> None:
        done.update(figures)
        if partial is not None:
            done["builds"] = [_build_row(timing) for timing in builds.values()]
            partial.write_text(json.dumps(done, indent=2, default=str), encoding="utf-8")

    def build(label: str, players: int, partners: int) -> BuildTiming:
        workload = make_workload(
            label, workdir / "exports", players, partners, args.states, args.seed, args.format
        )
        print(
            f"[bench] {label}: {workload.n_raw_rows:,} raw rows, {workload.n_players:,} players,"
            f" {workload.n_partitions:,} partner x brand_id pairs as exported (the build counts"
            " partner x state); building ...",
            flush=True,
        )
        timing = run_build(workload, workdir / label, args.threads, args.memory_limit)
        print(
            f"[bench] {label}: build {'ok' if timing.ok else 'FAILED'} in {timing.seconds:.1f} s",
            flush=True,
        )
        builds[label] = timing
        keep()
        return timing

    main_build = build("main", args.players, args.partners)
    floor = floor_seconds(main_build.workload.path, args.threads, args.memory_limit)
    print(f"[bench] floor {floor:.2f} s; timing the naive loop ...", flush=True)
    keep(floor_seconds=floor)
    naive = time_naive(main_build.workload.path, args.naive_budget, args.seed)
    print(f"[bench] naive loop {naive.seconds:.1f} s ({naive.describe()})", flush=True)
    keep(naive={**asdict(naive), "seconds": naive.seconds, "how": naive.describe()})

    rows_series = []
    for factor in _numbers(args.row_factors):
        timing = (
            main_build
            if math.isclose(factor, 1)
            else build(f"rows_x{factor:g}", max(1, round(args.players * factor)), args.partners)
        )
        rows_series.append({"factor": factor, **_build_row(timing)})

    partitions_series = []
    per_partner = main_build.workload.n_partitions / max(1, args.partners)
    for count in _numbers(args.partition_counts, int):
        partners = max(1, round(count / max(per_partner, 1e-9)))
        # Within 10% of the main workload's partners: that build is the point.
        same = abs(partners - args.partners) <= 0.1 * args.partners
        timing = main_build if same else build(f"partitions_{count}", args.players, partners)
        partitions_series.append({"target_partitions": count, **_build_row(timing)})

    return {
        "settings": {key: str(value) for key, value in vars(args).items()},
        "main": _build_row(main_build),
        "models": {
            name: {
                "language": language,
                "seconds": seconds,
                "peak_rss_mb": main_build.model_peak_mb.get(name, float("nan")),
            }
            for name, (language, seconds) in sorted(
                main_build.models.items(), key=lambda item: -item[1][1]
            )
        },
        "floor_seconds": floor,
        "naive": {**asdict(naive), "seconds": naive.seconds, "how": naive.describe()},
        "rows_series": rows_series,
        "partitions_series": partitions_series,
        "builds": [_build_row(timing) for timing in builds.values()],
    }


def _build_row(timing: BuildTiming) -> dict:
    workload: Workload = timing.workload
    return {
        "label": workload.label,
        "ok": timing.ok,
        "errors": timing.errors,
        "raw_rows": workload.n_raw_rows,
        "players": workload.n_players,
        "partitions": workload.n_partitions,
        "seconds": timing.seconds,
        "sql_seconds": timing.total("sql"),
        "python_seconds": timing.total("python"),
        "tests_seconds": timing.tests_seconds,
        "peak_rss_mb": timing.peak_rss_mb,
        "rows_per_second": timing.rows_per_second,
        "seconds_per_million_rows": timing.seconds_per_million_rows,
    }


__all__ = ["NaiveTiming", "main", "run_benchmark"]
