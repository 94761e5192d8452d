"""`python -m churn score [--model <artifact>] --input <export> --out <file>`: scores a new partner
export with a saved model artifact (default: the CURRENT one of the artifact folder), outside a
dbt build of the warehouse (see churn.classifier.scoring and docs/classifier.md). Problems (an
unsigned, tampered or mismatched artifact, a missing file or --partner-id, an export dbt rejects)
end with `error: <reason>` and exit code 2, not a trace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from churn.artifact import ArtifactError
from churn.classifier.scoring import ScoreError, score_export


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m churn`; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m churn", description="Churn warehouse tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser(
        "score",
        help="score a partner export with a saved model artifact",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument(
        "--model",
        help="an artifact folder, or a version name in the artifact folder (env "
        "CHURN_ARTIFACT_DIR, default artifacts/); default: the one its CURRENT pointer names",
    )
    score.add_argument("--input", required=True, help="partner export: CSV/Parquet file or a glob")
    score.add_argument("--out", required=True, type=Path, help="output file, .csv or .parquet")
    score.add_argument(
        "--partner-id", help="partner id for an export without a partner_id column (required then)"
    )
    score.add_argument(
        "--export-month", help="last month of the export (YYYY-MM-01); default: derived"
    )
    args = parser.parse_args(argv)
    try:
        scores = score_export(
            args.model, args.input, args.out, args.partner_id, args.export_month
        )
    except (ArtifactError, ScoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a command-line tool reports, it does not dump a trace
        print(
            f"error: scoring failed unexpectedly: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 1
    print(f"scored {len(scores):,} players of {args.input} -> {args.out}")
    return 0
