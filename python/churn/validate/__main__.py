"""`python -m churn.validate survival|classifier [options]`: builds the warehouse on fresh simulator
data and prints each model's accuracy against the truth beside the issue's targets."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "survival": "churn.validate.survival",
    "classifier": "churn.validate.classifier",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churn.validate", description=__doc__)
    parser.add_argument("what", choices=sorted(COMMANDS), help="which model to validate")
    args, rest = parser.parse_known_args(argv)
    module = importlib.import_module(COMMANDS[args.what])
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
