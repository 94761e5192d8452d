"""`python -m churn.simulate.benchmark [--players N]`: time a full run (simulate, write the gzipped
export and the truth) and report players, rows, seconds and peak memory. Not a test."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from churn.simulate.config import SimulationConfig
from churn.simulate.pipeline import simulate, write_result


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one timed simulation into a temporary folder and prints the figures."""
    parser = argparse.ArgumentParser(prog="python -m churn.simulate.benchmark")
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-truth", action="store_true")
    args = parser.parse_args(argv)
    config = SimulationConfig(n_players=args.players, n_partners=args.partners, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = simulate(config)
        simulated = time.perf_counter() - started
        out, _ = write_result(result, Path(tmp) / "activity.csv.gz", with_truth=not args.no_truth)
        total = time.perf_counter() - started
        size_mb = out.stat().st_size / 1e6
    s = result.summary
    print(f"players simulated: {s['n_players']:,}")
    print(f"players in export: {s['n_export_players']:,}")
    print(f"rows:              {s['n_export_rows']:,}")
    print(f"partners x states: {len(s['partners'])} x {len(s['states'])}")
    print(
        f"seconds:           {total:.1f} (simulate {simulated:.1f}, write {total - simulated:.1f})"
    )
    print(f"export size:       {size_mb:.1f} MB gzipped")
    print(f"peak RSS:          {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
