"""The benchmark's printed tables and its targets, each with met / not met."""

from __future__ import annotations

import math
from collections.abc import Sequence

TEN_MILLION = 10_000_000


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "NOT MET")


def targets(results: dict) -> list[tuple[str, str, str]]:
    """(target, figure, verdict) for every target of the benchmark."""
    main = results["main"]
    naive, floor = results["naive"]["seconds"], results["floor_seconds"]
    out = [
        (
            "build >= 5x faster than the naive loop",
            f"{naive / main['seconds']:.2f}x",
            _verdict(naive / main["seconds"] >= 5),
        ),
        (
            "build within 100x the floor",
            f"{main['seconds'] / floor:.1f}x",
            _verdict(main["seconds"] / floor <= 100),
        ),
        (
            "Python models together no slower than SQL models together",
            f"{main['python_seconds']:.1f} s vs {main['sql_seconds']:.1f} s",
            _verdict(main["python_seconds"] <= main["sql_seconds"]),
        ),
    ]
    series = sorted(results["rows_series"], key=lambda row: row["raw_rows"])
    if series:
        largest = series[-1]
        at_ten = largest["raw_rows"] >= 0.95 * TEN_MILLION
        out.append(
            (
                "peak RSS < 4 GB at 10M raw rows",
                f"{largest['peak_rss_mb'] / 1024:.2f} GB at {largest['raw_rows']:,} rows",
                _verdict(largest["peak_rss_mb"] < 4096)
                if at_ten
                else "not measured at 10M ("
                + _verdict(largest["peak_rss_mb"] < 4096)
                + " at this size)",
            )
        )
    if len(series) >= 2:
        small, large = series[0], series[-1]
        ratio = large["seconds_per_million_rows"] / small["seconds_per_million_rows"]
        out.append(
            (
                "s per M raw rows at the largest size <= 1.3x that at the smallest",
                f"{ratio:.2f}x ({large['raw_rows']:,} vs {small['raw_rows']:,} rows)",
                _verdict(ratio <= 1.3),
            )
        )
    else:
        out.append(("s per M raw rows at 10M <= 1.3x that at 1.25M", "-", _verdict(None)))
    parts = sorted(results["partitions_series"], key=lambda row: row["partitions"])
    if len(parts) >= 2 and parts[-1]["partitions"] > parts[0]["partitions"]:
        time_ratio = parts[-1]["seconds"] / parts[0]["seconds"]
        partition_ratio = parts[-1]["partitions"] / parts[0]["partitions"]
        out.append(
            (
                "time at fixed rows no more than linear in partitions",
                f"{time_ratio:.2f}x time for {partition_ratio:.2f}x partitions",
                _verdict(time_ratio <= partition_ratio),
            )
        )
    else:
        out.append(("time at fixed rows no more than linear in partitions", "-", _verdict(None)))
    return out


def _series_rows(series: list[dict], first: str) -> list[list[object]]:
    return [
        [
            row[first] if first in row else "",
            f"{row['raw_rows']:,}",
            f"{row['players']:,}",
            f"{row['partitions']:,}",
            f"{row['seconds']:.1f}",
            f"{row['sql_seconds']:.1f}",
            f"{row['python_seconds']:.1f}",
            f"{row['seconds_per_million_rows']:.1f}",
            f"{row['peak_rss_mb']:,.0f}",
            "ok" if row["ok"] else "FAILED",
        ]
        for row in series
    ]


SERIES_HEADER = [
    "raw rows",
    "players",
    "partitions",
    "build s",
    "SQL models s",
    "Python models s",
    "s per M rows",
    "peak RSS MB",
    "build",
]


def render(results: dict) -> str:
    """Every table of one benchmark run, as markdown."""
    main, naive, floor = results["main"], results["naive"], results["floor_seconds"]
    parts = ["# churn bench\n\n"]
    parts.append(
        _table(
            ["", "value"],
            [
                ("raw rows", f"{main['raw_rows']:,}"),
                ("players", f"{main['players']:,}"),
                ("partitions (partner x geo)", f"{main['partitions']:,}"),
                ("dbt build, wall", f"{main['seconds']:.1f} s"),
                ("SQL models together", f"{main['sql_seconds']:.1f} s"),
                ("Python models together", f"{main['python_seconds']:.1f} s"),
                ("data and unit tests together", f"{main['tests_seconds']:.1f} s"),
                (
                    "peak resident memory (dbt and its worker processes together)",
                    f"{main['peak_rss_mb']:,.0f} MB",
                ),
                ("raw rows per second", f"{main['rows_per_second']:,.0f}"),
                ("build", "ok" if main["ok"] else "FAILED: " + main["errors"].replace("\n", " ")),
            ],
        )
    )
    parts.append("\n## Beside the floor and the naive loop (same file, same run)\n\n")
    parts.append(
        _table(
            ["approach", "seconds", "ratio to the build", "note"],
            [
                (
                    "floor: one DuckDB pass, aggregated per player",
                    f"{floor:.2f}",
                    f"build = {main['seconds'] / floor:.1f}x floor",
                    "",
                ),
                (
                    "naive loop: pandas + lifelines KM/Weibull + sklearn LogisticRegression",
                    f"{naive['seconds']:.1f}",
                    f"naive = {naive['seconds'] / main['seconds']:.2f}x build",
                    f"{naive['how']}; pandas preparation {naive['prepare_seconds']:.1f} s",
                ),
                ("dbt build", f"{main['seconds']:.1f}", "1", ""),
            ],
        )
    )
    parts.append("\n## Time per model (from target/run_results.json)\n\n")
    parts.append(
        "Peak memory while a model ran: the summed RSS of dbt and its workers between the model's "
        "start and end, so the models running beside it on other dbt threads count too; blank "
        "for a model shorter than the quarter-second sampling.\n\n"
    )
    total = sum(model["seconds"] for model in results["models"].values()) or 1.0
    parts.append(
        _table(
            ["model", "language", "seconds", "share of model time", "peak memory while it ran"],
            [
                (
                    name,
                    model["language"],
                    f"{model['seconds']:.2f}",
                    f"{model['seconds'] / total:.0%}",
                    _megabytes(model.get("peak_rss_mb", float("nan"))),
                )
                for name, model in results["models"].items()
            ],
        )
    )
    if results["rows_series"]:
        parts.append("\n## Scaling in rows\n\n")
        parts.append(
            _table(["x rows", *SERIES_HEADER], _series_rows(results["rows_series"], "factor"))
        )
    if results["partitions_series"]:
        parts.append("\n## Fixed rows, more partitions\n\n")
        parts.append(
            _table(
                ["target partitions", *SERIES_HEADER],
                _series_rows(results["partitions_series"], "target_partitions"),
            )
        )
    parts.append("\n## Targets\n\n")
    parts.append(_table(["target", "figure", "verdict"], targets(results)))
    return "".join(parts)


def _megabytes(value: float) -> str:
    return "" if math.isnan(value) else f"{value:,.0f} MB"
