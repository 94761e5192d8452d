"""One `dbt build` of the whole project on a workload, timed from target/run_results.json (per
node) and by the operating system (wall time, peak resident memory)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from churn.bench.workload import Workload
from churn.warehouse import run_dbt


@dataclass
class BuildTiming:
    """What one build cost."""

    workload: Workload
    ok: bool
    seconds: float
    peak_rss_mb: float
    # model name -> (language, seconds)
    models: dict[str, tuple[str, float]] = field(default_factory=dict)
    # model name -> peak RSS (MB) of dbt and its workers while the model ran; with several dbt
    # threads the models running beside it count too.
    model_peak_mb: dict[str, float] = field(default_factory=dict)
    tests_seconds: float = 0.0
    errors: str = ""

    def total(self, language: str) -> float:
        return sum(seconds for lang, seconds in self.models.values() if lang == language)

    @property
    def seconds_per_million_rows(self) -> float:
        return self.seconds / (self.workload.n_raw_rows / 1e6)

    @property
    def rows_per_second(self) -> float:
        return self.workload.n_raw_rows / self.seconds


def run_build(workload: Workload, workdir: Path, threads: int, memory_limit: str) -> BuildTiming:
    """`dbt build` on the workload in a fresh warehouse under `workdir`."""
    env = {"CHURN_THREADS": str(threads), "CHURN_MEMORY_LIMIT": memory_limit}
    run = run_dbt(["build"], workdir, {"raw_activity_path": str(workload.path)}, env=env)
    if run.ok:
        # Partitions as the project sees them (geo normalised from the partner's brand ids).
        ((partitions,),) = run.query(
            "select count(*) from (select distinct partner_id, geo from marts.fct_player_lifetimes)"
        )
        workload = replace(workload, n_partitions=int(partitions))
    timing = BuildTiming(
        workload, run.ok, run.seconds, run.peak_rss_mb, errors="" if run.ok else run.errors()
    )
    if run.target_path is None:
        return timing
    try:
        results = run.run_results()
        nodes = json.loads((run.target_path / "manifest.json").read_text())["nodes"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return timing
    for result in results["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") == "model":
            timing.models[node["name"]] = (
                node.get("language", "sql"),
                float(result["execution_time"]),
            )
            timing.model_peak_mb[node["name"]] = peak_while(result, run.memory_samples)
        elif node.get("resource_type") == "test" or result["unique_id"].startswith("unit_test."):
            timing.tests_seconds += float(result["execution_time"])
    return timing


def peak_while(result: dict, samples: list[tuple[float, float]]) -> float:
    """The highest memory sample between the start and end of a node's execution (its timing
    entries in run_results.json, UTC); NaN when no sample falls inside (a sub-second node)."""
    execute = next((t for t in result.get("timing", []) if t.get("name") == "execute"), None)
    if not execute or not execute.get("started_at") or not execute.get("completed_at"):
        return float("nan")
    start, end = (_unix_time(execute[key]) for key in ("started_at", "completed_at"))
    inside = [mb for when, mb in samples if start <= when <= end]
    return max(inside) if inside else float("nan")


def _unix_time(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # dbt writes UTC; a timestamp without a zone is read as UTC, not local time.
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
