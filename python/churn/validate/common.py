"""What every validation run shares: the options, one simulated regime and seed, and the
warehouse built on it (both models at once, so `survival` and `classifier` runs that are given
the same `--workdir` build each regime and seed only once)."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from churn.simulate import SimulationConfig, SimulationResult, simulate, write_export
from churn.simulate.regimes import REGIMES, Regime, regime, validated_regimes
from churn.validate.targets import Target, format_table, judge
from churn.warehouse import DbtRun, run_dbt

DEFAULT_SEEDS = (1, 2)
# One build for both validations; cautious: leave out tests of models outside the selection.
BUILD_SELECTION = [
    "+churn_survival_curves",
    "+churn_survival_summary",
    "+churn_quick_scores",
    "+dq_quarantine",
]
# The Bayes probability of the truth is for H = 3, K = 3 at decision month 0.
BUILD_VARS = {"quick_churn_months": 3, "churn_inactive_months": 3, "decision_month": 0}


def seeds_list(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected seeds like 1,2: {text!r}") from exc
    if not seeds:
        raise argparse.ArgumentTypeError("give at least one seed")
    return seeds


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """--regime / --all, the seeds, the size overrides and the work folder."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--regime",
        choices=list(REGIMES),
        default="baseline",
        help="the data regime to validate on (default baseline); "
        + "; ".join(f"{r.name}: {r.description}" for r in REGIMES.values()),
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="every validated regime: " + ", ".join(validated_regimes()),
    )
    parser.add_argument(
        "--seeds",
        type=seeds_list,
        default=DEFAULT_SEEDS,
        help="simulation seeds, comma separated (default 1,2)",
    )
    parser.add_argument("--players", type=int, help="override the regime's simulated players")
    parser.add_argument("--partners", type=int, help="override the regime's partners")
    parser.add_argument("--states", type=int, help="override the regime's number of states")
    parser.add_argument("--start", help="override the first month of data (YYYY-MM)")
    parser.add_argument("--end", help="override the export month (YYYY-MM)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the warehouses here, one folder per regime and seed, and "
        "reuse a folder already built with the same settings",
    )
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="only report the regimes and seeds already built in --workdir (the others show n/a)",
    )


def regimes_of(args: argparse.Namespace) -> list[Regime]:
    return [regime(name) for name in (validated_regimes() if args.all else [args.regime])]


def config_for(reg: Regime, seed: int, args: argparse.Namespace) -> SimulationConfig:
    """The regime's validation config for one seed, with the command line's overrides."""
    overrides = {"seed": seed}
    for option, knob in (
        ("players", "n_players"),
        ("partners", "n_partners"),
        ("states", "states"),
        ("start", "start"),
        ("end", "end"),
    ):
        if getattr(args, option) is not None:
            overrides[knob] = getattr(args, option)
    return reg.config(**overrides)


@dataclass
class RegimeRun:
    """One regime and seed: its config, the truth, and the warehouse built on the export."""

    regime: Regime
    config: SimulationConfig
    result: SimulationResult
    build: DbtRun
    seconds: float

    def has_table(self, relation: str) -> bool:
        if not self.build.database.exists():
            return False
        schema, name = relation.split(".")
        with duckdb.connect(str(self.build.database), read_only=True) as connection:
            found = connection.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
        return bool(found and found[0])

    def frame(self, sql: str) -> pd.DataFrame:
        return self.build.frame(sql)

    def failures(self) -> list[str]:
        """Nodes the dbt build reported as failed or erroring (one line each)."""
        return [
            line.strip()
            for line in self.build.output.splitlines()
            if re.search(r"\b(ERROR|FAIL)\b", line) and " of " in line
        ][:10]


def _digest(config: SimulationConfig) -> str:
    text = json.dumps(
        {"config": config.to_dict(), "selection": BUILD_SELECTION, "vars": BUILD_VARS},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def run_regime(
    reg: Regime, config: SimulationConfig, root: Path, build: bool = True
) -> RegimeRun | None:
    """Simulates the config and builds the warehouse on it, unless `root` already holds a
    completed build of exactly these settings (then only the truth is simulated again).
    Without `build`, a config not built yet gives None."""
    workdir = root / f"{reg.name}-seed{config.seed}-{_digest(config)}"
    marker = workdir / "build.json"
    done = (
        marker.exists()
        and (workdir / "churn.duckdb").exists()
        and json.loads(marker.read_text())["returncode"] >= 0
    )  # < 0: dbt was killed
    if not done and not build:
        print(f"  {reg.name} seed {config.seed}: not built yet in {root} (--no-build)")
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = simulate(config)
    if done:
        saved = json.loads(marker.read_text())
        dbt_run = DbtRun(saved["returncode"], saved["output"], workdir / "churn.duckdb")
        print(f"  {reg.name} seed {config.seed}: reusing the warehouse in {workdir}")
        return RegimeRun(reg, config, result, dbt_run, time.perf_counter() - started)
    export = workdir / "activity.parquet"
    write_export(result.export_table, export)
    for _attempt in range(2):  # a build killed from outside (signal) is run once more
        dbt_run = run_dbt(
            ["build", "--select", *BUILD_SELECTION, "--indirect-selection", "cautious"],
            workdir,
            {
                "raw_activity_path": str(export),
                **BUILD_VARS,
                "classifier_artifact_dir": str(workdir / "artifacts"),
            },
        )
        if dbt_run.returncode >= 0:
            break
        print(
            f"  {reg.name} seed {config.seed}: dbt was stopped by signal "
            f"{-dbt_run.returncode}; building again"
        )
    saved_run = {"returncode": dbt_run.returncode, "output": dbt_run.output[-20000:]}
    marker.write_text(json.dumps(saved_run))
    seconds = time.perf_counter() - started
    s = result.summary
    print(
        f"  {reg.name} seed {config.seed}: {s['n_export_players']:,} players in the export, "
        f"{s['n_export_rows']:,} rows ({s['window'][0]}..{s['window'][1]}, "
        f"{len(s['partners'])} partners, {len(s['states'])} states); simulated and built in "
        f"{seconds:.0f} s, dbt exit code {dbt_run.returncode} ({workdir})"
    )
    return RegimeRun(reg, config, result, dbt_run, seconds)


FigureFunction = Callable[[RegimeRun], dict[str, float | None]]


def validate_regimes(
    args: argparse.Namespace, what: str, targets: Sequence[Target], figures_of: FigureFunction
) -> dict[str, pd.DataFrame]:
    """Runs every chosen regime on every seed and prints its judged table; returns the tables."""
    root = args.workdir or Path(tempfile.mkdtemp(prefix=f"churn-validate-{what}-"))
    tables = {}
    for reg in regimes_of(args):
        print(f"\n== {what} · regime {reg.name}: {reg.description}")
        per_seed: dict[str, list[float | None]] = {t.name: [] for t in targets}
        for seed in args.seeds:
            run = run_regime(reg, config_for(reg, seed, args), root, build=not args.no_build)
            values = figures_of(run) if run is not None else {}
            for target in targets:
                per_seed[target.name].append(values.get(target.name))
        table = judge(targets, per_seed)
        print(format_table(table, args.seeds))
        tables[reg.name] = table
    if len(tables) > 1:
        print(f"\n== {what} · verdicts by regime")
        summary = pd.DataFrame(
            {name: t.set_index("figure")["verdict"] for name, t in tables.items()}
        )
        print(summary.to_string())
    return tables
