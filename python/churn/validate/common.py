"""What every validation run does first: read the simulation options, simulate fresh data and
write the export into a work folder that the warehouse is then built in."""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from churn.simulate import SimulationConfig, SimulationResult, simulate, write_export


def add_simulation_arguments(
    parser: argparse.ArgumentParser,
    *,
    players: int,
    partners: int,
    states: int,
    start: str,
    end: str,
    seed: int,
) -> None:
    """The options of the simulated data, with this validation's defaults."""
    parser.add_argument("--players", type=int, default=players)
    parser.add_argument("--partners", type=int, default=partners)
    parser.add_argument("--states", type=int, default=states)
    parser.add_argument("--start", default=start, help=f"first month of data (default {start})")
    parser.add_argument("--end", default=end, help=f"export month (default {end})")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the warehouse here")


def simulate_into_workdir(
    args: argparse.Namespace, prefix: str
) -> tuple[SimulationConfig, SimulationResult, Path, Path]:
    """Simulates the configured data and writes the export into the work folder."""
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = replace(
        SimulationConfig(),
        n_players=args.players,
        n_partners=args.partners,
        states=args.states,
        start=args.start,
        end=args.end,
        seed=args.seed,
    )
    result = simulate(config)
    export = workdir / "activity.parquet"
    write_export(result.export_table, export)
    print(
        f"simulated {len(result.truth['players']):,} players, "
        f"{result.export_table.num_rows:,} rows ({args.start}..{args.end}, {args.partners} "
        f"partners, {args.states} states, seed {args.seed}) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return config, result, workdir, export


def print_targets(checks: list[tuple[str, float, str, bool]], label_width: int) -> None:
    """Prints 'Against the targets' and one line per (label, value, target text, met)."""
    print("\nAgainst the targets")
    for label, value, target, met in checks:
        print(
            f"  {label:<{label_width}} {value:8.4f}   target {target:<14} "
            f"{'met' if met else 'NOT met'}"
        )
