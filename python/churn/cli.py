"""`churn <command> [options]`: the package's one command-line entry point (a console script, also
`python -m churn`). Each command is its module's own `main(argv)`; `churn <command> --help` prints
that command's options.

The dbt project comes from `--project-dir DIR` (before the command), else CHURN_PROJECT_DIR, else
the checkout the package was loaded from, else the working folder (see churn.project).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from churn.project import ProjectNotFoundError, use_project_dir

# command -> (module, function taking argv, one line of help). Imported only when run, so one
# command's dependencies never slow down or break another. OPTIONAL ones are listed only where
# their package is installed.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "score": ("churn.cli", "score", "score a partner export with a saved model artifact"),
    "report": ("churn.report.__main__", "main", "HTML reports and doc blocks from a warehouse"),
    "validate": ("churn.validate.__main__", "main", "the models against the simulator's truth"),
    "simulate": ("churn.simulate.__main__", "main", "write a simulated partner export"),
    "bench": ("churn.bench", "main", "the scale benchmark: build vs floor and naive loop"),
    "replay": ("churn.monitoring.replay", "main", "rebuild the monitoring history month by month"),
}

OPTIONAL = {"replay": "churn.monitoring"}


def available_commands() -> dict[str, tuple[str, str, str]]:
    """The commands this installation has."""
    return {
        name: spec
        for name, spec in COMMANDS.items()
        if name not in OPTIONAL or importlib.util.find_spec(OPTIONAL[name]) is not None
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `churn` and `python -m churn`; returns the exit code."""
    commands = available_commands()
    parser = argparse.ArgumentParser(
        prog="churn",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n"
        + "\n".join(f"  {name:<10}{spec[2]}" for name, spec in commands.items()),
    )
    parser.add_argument("--project-dir", type=Path, help="the churn dbt project folder")
    parser.add_argument(
        "command",
        choices=sorted(commands),
        metavar="command",
        help="one of: " + ", ".join(commands),
    )
    parser.add_argument(
        "arguments",
        nargs=argparse.REMAINDER,
        help="the command's own options (churn <command> --help)",
    )
    args = parser.parse_args(argv)
    module_name, function_name, _ = commands[args.command]
    try:
        if args.project_dir is not None:
            use_project_dir(args.project_dir)
        function = getattr(importlib.import_module(module_name), function_name)
        return int(function(args.arguments) or 0)
    except ProjectNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


SCORE_DESCRIPTION = """`churn score [--model <artifact>] --input <export> --out <file>`: scores a
new partner export with a saved model artifact (default: the CURRENT one of the artifact folder),
outside a dbt build of the warehouse (see churn.classifier.scoring and docs/classifier.md).
Problems (an unsigned, tampered or mismatched artifact, a missing file or --partner-id, an export
dbt rejects) end with `error: <reason>` and exit code 2, not a trace.
"""


def score(argv: Sequence[str] | None = None) -> int:
    """`churn score`: scores an export with an artifact; returns the exit code."""
    from churn.artifact import ArtifactError
    from churn.classifier.scoring import ScoreError, score_export

    parser = argparse.ArgumentParser(
        prog="churn score",
        description=SCORE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        help="an artifact folder, or a version name in the artifact folder (env "
        "CHURN_ARTIFACT_DIR, default artifacts/); default: the one its CURRENT pointer names",
    )
    parser.add_argument("--input", required=True, help="partner export: CSV/Parquet file or a glob")
    parser.add_argument("--out", required=True, type=Path, help="output file, .csv or .parquet")
    parser.add_argument(
        "--partner-id", help="partner id for an export without a partner_id column (required then)"
    )
    parser.add_argument(
        "--export-month", help="last month of the export (YYYY-MM or YYYY-MM-01); default: derived"
    )
    args = parser.parse_args(argv)
    try:
        scores = score_export(args.model, args.input, args.out, args.partner_id, args.export_month)
    except (ArtifactError, ScoreError, ProjectNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a command-line tool reports, it does not dump a trace
        print(
            f"error: scoring failed unexpectedly: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 1
    print(f"scored {len(scores):,} players of {args.input} -> {args.out}")
    return 0
