"""One `dbt build` of the whole project on a workload, timed from target/run_results.json (per
node) and by the operating system (wall time, peak resident memory)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
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
        elif node.get("resource_type") == "test" or result["unique_id"].startswith("unit_test."):
            timing.tests_seconds += float(result["execution_time"])
    return timing
