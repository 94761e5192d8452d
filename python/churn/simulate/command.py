"""Command line: `python -m churn.simulate --out PATH [options]` writes an export and its truth.

Example (the bundled sample):
    python -m churn.simulate --preset sample --out data/sample/activity.csv.gz --no-truth
A regime (see churn.simulate.regimes and docs/simulator.md):
    python -m churn.simulate --regime new_players_24 --players 20000 --out /tmp/new.parquet
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from churn.simulate.config import FORMAT_CHANGES, PRESETS, IssueRates, SimulationConfig
from churn.simulate.pipeline import simulate, write_result
from churn.simulate.regimes import REGIMES


def _states(text: str) -> int | tuple[str, ...]:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return tuple(s.strip().upper() for s in text.split(",") if s.strip())


def _rate(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number in {text!r}") from exc


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected numbers like 0.3,0,-0.2,-0.2: {text!r}"
        ) from exc


CHANGE_OPTIONS = (
    "new_players_only",
    "mix_drift_per_year",
    "mix_shift_month",
    "mix_shift_partner",
    "mix_shift_logits",
    "format_change_month",
    "format_change_partner",
    "format_changes",
)


def build_parser(prog: str = "python -m churn.simulate") -> argparse.ArgumentParser:
    """The CLI's arguments; flags given explicitly override the regime and the preset."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Simulate a partner export of monthly player activity and its ground truth.",
    )
    parser.add_argument(
        "--out", required=True, help="export path: .csv.gz (deterministic gzip), .csv or .parquet"
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), help="start from a named preset")
    parser.add_argument(
        "--regime",
        choices=list(REGIMES),
        help="apply a named data regime (window, mix, changes) on top of the "
        "preset: " + "; ".join(f"{r.name}: {r.description}" for r in REGIMES.values()),
    )
    parser.add_argument(
        "--players", type=int, dest="n_players", help="players (FTDs) to simulate before sampling"
    )
    parser.add_argument("--partners", type=int, dest="n_partners")
    parser.add_argument("--start", help="first month of the window, YYYY-MM")
    parser.add_argument("--end", help="export month (last month of the window), YYYY-MM")
    parser.add_argument("--sample-fraction", type=float, dest="sample_fraction")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--states", type=_states, help="a number N (the N largest markets) or a list like NJ,PA,NY"
    )
    parser.add_argument("--trackers", type=int, dest="n_trackers")
    parser.add_argument(
        "--issue-rate",
        type=_rate,
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help=f"override issue rates (repeatable); names: {', '.join(IssueRates())}",
    )
    parser.add_argument("--no-issues", action="store_true", help="a clean export")
    parser.add_argument(
        "--seeds-dir",
        dest="seeds_dir",
        help="folder with state_launch_months.csv and product_label_map.csv",
    )
    regimes = parser.add_argument_group("regimes and injected changes (all off by default)")
    regimes.add_argument(
        "--new-players-only",
        action="store_true",
        default=None,
        dest="new_players_only",
        help="only players with an FTD inside the window (newly referred)",
    )
    regimes.add_argument(
        "--mix-drift",
        type=_floats,
        dest="mix_drift_per_year",
        metavar="L1,L2,..",
        help="type-logit drift per year of FTD cohort, "
        "one value per type (one_and_done,casual,loyal,vip)",
    )
    regimes.add_argument(
        "--mix-shift-month",
        dest="mix_shift_month",
        metavar="YYYY-MM",
        help="FTD month from which the type mix shifts",
    )
    regimes.add_argument(
        "--mix-shift-partner",
        dest="mix_shift_partner",
        metavar="PNN",
        help="partner whose mix shifts (default: every partner)",
    )
    regimes.add_argument(
        "--mix-shift-logits",
        type=_floats,
        dest="mix_shift_logits",
        metavar="L1,L2,..",
        help="type-logit step of the shift, one per type",
    )
    regimes.add_argument(
        "--format-change-month",
        dest="format_change_month",
        metavar="YYYY-MM",
        help="activity month from which the format changes",
    )
    regimes.add_argument(
        "--format-change-partner",
        dest="format_change_partner",
        metavar="PNN",
        help="partner whose format changes (default: every)",
    )
    regimes.add_argument(
        "--format-change",
        dest="format_changes",
        action="extend",
        nargs="+",
        choices=list(FORMAT_CHANGES),
        metavar="KIND",
        help="what changes (repeatable): "
        + "; ".join(f"{k}: {v}" for k, v in FORMAT_CHANGES.items()),
    )
    parser.add_argument("--truth-dir", help="truth folder (default: <out stem>.truth/)")
    parser.add_argument("--no-truth", action="store_true", help="write the export only")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    """Preset values, then explicit flags, then issue settings."""
    values: dict[str, Any] = dict(PRESETS[args.preset]) if args.preset else {}
    if args.regime:
        values.update(REGIMES[args.regime].settings)
    for name in (
        "n_players",
        "n_partners",
        "start",
        "end",
        "sample_fraction",
        "seed",
        "states",
        "n_trackers",
        "seeds_dir",
        *CHANGE_OPTIONS,
    ):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    issues = IssueRates.none() if args.no_issues else IssueRates()
    if args.issue_rate:
        issues = issues.replace(**dict(args.issue_rate))
    return SimulationConfig(**values, issues=issues)


def main(argv: Sequence[str] | None = None, prog: str = "python -m churn.simulate") -> int:
    """Runs the CLI; prints what was written. `prog` is the name the help shows."""
    args = build_parser(prog).parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = simulate(config)
    out, truth_dir = write_result(result, args.out, args.truth_dir, with_truth=not args.no_truth)
    s = result.summary
    partners, states = len(s["partners"]), len(s["states"])
    print(
        f"wrote {out}: {s['n_export_rows']:,} rows, {s['n_export_players']:,} players in "
        f"export of {s['n_players']:,} simulated, {partners} partner{'s' * (partners != 1)}, "
        f"{states} state{'s' * (states != 1)}, {time.perf_counter() - started:.1f}s"
    )
    if truth_dir is not None:
        print(f"truth in {truth_dir}")
    return 0
