"""`python -m churn.validate survival|classifier [--regime NAME | --all] [options]`: simulates
each regime on two seeds, builds the warehouse on it and prints each model's figures against
the truth beside their targets (`<subcommand> --help` for the figures and options)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from churn.validate import classifier, survival

SUBCOMMANDS = {"survival": survival, "classifier": classifier}


def build_parser(prog: str = "python -m churn.validate") -> argparse.ArgumentParser:
    """The top-level parser with one subparser per model, each with its own options."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    commands = parser.add_subparsers(dest="what", required=True, metavar="{survival,classifier}")
    for name, module in SUBCOMMANDS.items():
        summary = (module.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        module.build_parser(commands.add_parser(name, help=summary))
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m churn.validate") -> int:
    """Parses the arguments and runs the chosen validation; returns the exit code. `prog` is
    the name the help shows (e.g. `churn validate` when called from the console script)."""
    args = build_parser(prog).parse_args(argv)
    return SUBCOMMANDS[args.what].run(args)
