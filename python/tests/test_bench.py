"""`churn bench --quick` runs end to end and prints every table (timings are shown by the command,
never asserted here)."""

from __future__ import annotations

import json
import math

from churn.bench import main
from churn.bench.report import targets


def test_the_quick_benchmark_produces_every_table(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--quick", "--workdir", str(tmp_path / "work"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "bench.json").read_text())
    assert (out / "bench.md").read_text() in printed
    for heading in (
        "Beside the floor and the naive loop",
        "Time per model",
        "Scaling in rows",
        "Targets",
    ):
        assert heading in printed
    languages = {model["language"] for model in results["models"].values()}
    assert languages == {"sql", "python"}
    assert {"churn_survival_fits", "fct_player_lifetimes"} <= set(results["models"])
    main_build = results["main"]
    assert main_build["ok"] and main_build["raw_rows"] > 0 and main_build["partitions"] > 0
    assert main_build["peak_rss_mb"] > 0 and results["floor_seconds"] > 0
    # The longest model lasts many quarter-second samples: its peak is known, within the build's.
    longest = next(iter(results["models"].values()))
    assert 0 < longest["peak_rss_mb"] <= main_build["peak_rss_mb"]
    assert results["naive"]["n_timed"] >= 1 and results["naive"]["seconds"] > 0
    names = [name for name, _, _ in targets(results)]
    assert len(names) == 6 and all(f"| {name} |" in printed for name in names)


def test_peak_memory_counts_worker_processes_with_their_parent(tmp_path):
    import sys
    from pathlib import Path

    import pytest
    from churn.warehouse import _run_measured

    if not Path("/proc/self/statm").exists():
        pytest.skip("no /proc to sample the process tree from")
    # A parent and its child each hold about 200 MB at the same time: the largest single process
    # is about 200 MB, the two together about 400 MB.
    script = (
        "import subprocess, sys, time\n"
        "hold = 'x' * (200 * 2**20)\n"
        "child = subprocess.Popen([sys.executable, '-c', "
        "\"import time; hold = 'y' * (200 * 2**20); time.sleep(2)\"])\n"
        "time.sleep(1.5); child.wait()\n"
    )
    measured = _run_measured([sys.executable, "-c", script], tmp_path, {})
    assert measured.returncode == 0
    assert measured.peak_rss_mb > 350, measured.peak_rss_mb
    # The peak is the highest sample (not wait4's figure, which counts this pytest process).
    assert max(mb for _, mb in measured.memory_samples) == measured.peak_rss_mb
    assert measured.peak_rss_mb < 1000, measured.peak_rss_mb


def test_a_models_peak_is_the_highest_sample_between_its_start_and_end():
    from churn.bench.build import peak_while

    result = {
        "timing": [
            {"name": "compile", "started_at": "2026-01-01T00:00:00Z"},
            {
                "name": "execute",
                "started_at": "2026-01-01T00:00:10.000000Z",
                "completed_at": "2026-01-01T00:00:20.000000Z",
            },
        ]
    }
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    samples = [(start + 5, 900.0), (start + 11, 300.0), (start + 19, 400.0), (start + 25, 800.0)]
    assert peak_while(result, samples) == 400.0
    assert math.isnan(peak_while(result, samples[:1]))  # no sample inside
    assert math.isnan(peak_while({"timing": []}, samples))
