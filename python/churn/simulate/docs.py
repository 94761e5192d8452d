"""Renders the tables of docs/simulator.md from the code, so no default is typed by hand.

`python -m churn.simulate.docs` rewrites the generated blocks (it simulates the sample for its
counts); `--check` only reports whether the file is current. A test keeps them in sync.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from churn.docblocks import apply_blocks
from churn.project import docs_dir
from churn.simulate.config import (
    PRESETS,
    IssueRates,
    PlayerTypeSpec,
    ProductSpec,
    SimulationConfig,
    preset,
)
from churn.simulate.export import write_export
from churn.simulate.problems import ISSUES

DOC_PATH = docs_dir() / "simulator.md"
SAMPLE_COMMAND = (
    "python -m churn.simulate --preset sample --out data/sample/activity.csv.gz --no-truth"
)


def _fmt(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], PlayerTypeSpec | ProductSpec):
        return ", ".join(v.name for v in value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, IssueRates):
        return "IssueRates()"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return "`None`" if value is None else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def config_table() -> str:
    """Every SimulationConfig knob with its default and meaning."""
    defaults = SimulationConfig()
    return _table(
        ["knob", "default", "meaning"],
        [
            (f"`{f.name}`", _fmt(getattr(defaults, f.name)), f.metadata.get("doc", ""))
            for f in dataclasses.fields(SimulationConfig)
        ],
    )


def spec_table(specs: Sequence[Any]) -> str:
    """Parameters (rows) by type or product (columns), with their meaning."""
    names = [s.name for s in specs]
    rows = []
    for f in dataclasses.fields(specs[0]):
        if f.name == "name":
            continue
        rows.append(
            (f"`{f.name}`", *(_fmt(getattr(s, f.name)) for s in specs), f.metadata.get("doc", ""))
        )
    return _table(["parameter", *names, "meaning"], rows)


def issues_table(sample_counts: dict[str, int]) -> str:
    """Every injected problem: default rate, unit, category, column, what it looks like."""
    rates = IssueRates()
    return _table(
        [
            "issue",
            "default rate",
            "unit",
            "category",
            "column",
            "count in sample",
            "what the export shows",
        ],
        [
            (
                f"`{s.name}`",
                _fmt(rates[s.name]),
                s.unit,
                s.category,
                s.column or "-",
                f"{sample_counts.get(s.name, 0):,}",
                s.description,
            )
            for s in ISSUES
        ],
    )


def presets_table() -> str:
    """The named presets and what they change."""
    return _table(
        ["preset", "settings"],
        [
            (f"`{name}`", ", ".join(f"{k}={_fmt(v)}" for k, v in values.items()))
            for name, values in PRESETS.items()
        ],
    )


def regimes_table() -> str:
    """The named regimes: what they set and the size validation runs them at."""
    from churn.simulate.regimes import REGIMES

    def setting(key: str, value: Any) -> str:
        if key in ("types", "products"):
            return f"{key}=" + ", ".join(v.name for v in value)
        return f"{key}={_fmt(value)}"

    return _table(
        ["regime", "what it is", "settings", "validation size", "in `--all`"],
        [
            (
                f"`{r.name}`",
                r.description,
                ", ".join(setting(k, v) for k, v in r.settings.items()),
                f"{r.players:,} players, {r.partners} partners, {r.states} states",
                "yes" if r.validated else "no",
            )
            for r in REGIMES.values()
        ],
    )


def sample_table(summary: dict[str, Any], size_bytes: int) -> str:
    """What the bundled sample holds."""
    return _table(
        ["what", "value"],
        [
            ("command", f"`{SAMPLE_COMMAND}`"),
            ("file size", f"{size_bytes:,} bytes ({size_bytes / 1e6:.1f} MB)"),
            ("players simulated", f"{summary['n_players']:,}"),
            ("players in the export", f"{summary['n_export_players']:,}"),
            ("rows (clean / total)", f"{summary['n_clean_rows']:,} / {summary['n_export_rows']:,}"),
            ("partners", ", ".join(summary["partners"])),
            ("states", ", ".join(summary["states"])),
            ("window", " .. ".join(summary["window"])),
        ],
    )


def sample_facts() -> tuple[dict[str, Any], int]:
    """Simulates the sample preset and measures its gzipped size."""
    from churn.simulate.pipeline import simulate

    result = simulate(preset("sample"))
    with tempfile.TemporaryDirectory() as tmp:
        size = write_export(result.export_table, Path(tmp) / "a.csv.gz").stat().st_size
    return result.summary, size


def render_blocks(summary: dict[str, Any], size_bytes: int) -> dict[str, str]:
    """Every generated block of docs/simulator.md by name."""
    return {
        "config": config_table(),
        "issues": issues_table(summary["issue_counts"]),
        "types": spec_table(SimulationConfig().types),
        "products": spec_table(SimulationConfig().products),
        "presets": presets_table(),
        "regimes": regimes_table(),
        "sample": sample_table(summary, size_bytes),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrites (or with --check, verifies) the generated blocks of docs/simulator.md."""
    parser = argparse.ArgumentParser(prog="python -m churn.simulate.docs")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--path", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    text = args.path.read_text()
    updated = apply_blocks(text, render_blocks(*sample_facts()))
    if args.check:
        if updated != text:
            print(f"{args.path} is stale: run python -m churn.simulate.docs", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(updated)
    print(f"updated {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
