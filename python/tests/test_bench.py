"""`churn bench --quick` runs end to end and prints every table (timings are shown by the command,
never asserted here)."""

from __future__ import annotations

import json

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
    code, _, _, peak_mb = _run_measured([sys.executable, "-c", script], tmp_path, {})
    assert code == 0
    assert peak_mb > 350, peak_mb
