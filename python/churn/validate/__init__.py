"""Validation against the simulator's ground truth, per data regime.

`python -m churn.validate survival|classifier --regime NAME | --all`
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None, prog: str = "python -m churn.validate") -> int:
    """The validation command line (`churn validate ...`); returns the exit code."""
    from churn.validate.command import main as command_main

    return command_main(argv, prog)
