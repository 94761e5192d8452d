"""`python -m churn.report --database PATH [--out DIR] [--docs | --check-docs]`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from churn.report.docs import check_docs, write_docs
from churn.report.queries import AnalysisError
from churn.report.reports import write_reports


def main(argv: Sequence[str] | None = None) -> int:
    """Writes the HTML reports and/or the generated blocks of the docs."""
    parser = argparse.ArgumentParser(
        prog="python -m churn.report",
        description="Render reports/eda.html and reports/models.html from a built warehouse.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=Path("warehouse/churn.duckdb"),
        help="the DuckDB warehouse file (default: warehouse/churn.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for eda.html and models.html (default: reports, unless "
        "--docs or --check-docs is given alone)",
    )
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument(
        "--docs",
        action="store_true",
        help="rewrite the GENERATED blocks of docs/eda.md, models.md, classifier.md, production.md",
    )
    docs.add_argument(
        "--check-docs",
        action="store_true",
        help="exit 1 if those blocks differ from what this warehouse gives",
    )
    args = parser.parse_args(argv)
    out = args.out if args.out is not None or args.docs or args.check_docs else Path("reports")
    try:
        if out is not None:
            started = time.perf_counter()
            for path in write_reports(args.database, out):
                print(f"wrote {path}")
            print(f"reports rendered in {time.perf_counter() - started:.1f} s")
        if args.docs:
            for path in write_docs(args.database):
                print(f"updated {path}")
        if args.check_docs:
            stale = check_docs(args.database)
            for path in stale:
                print(
                    f"{path} is stale: run python -m churn.report --database "
                    f"{args.database} --docs",
                    file=sys.stderr,
                )
            return 1 if stale else 0
    except AnalysisError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
