"""Progress lines for long fits: in dbt's console when a dbt Python model runs them (dbt's own
event logger, in-process under dbt-duckdb), in the standard `churn` logger elsewhere."""

from __future__ import annotations

import logging
import time

_LOGGER = logging.getLogger("churn")


class Progress:
    """Says how far a stage is: `Progress("survival fits", total).step(done)`."""

    def __init__(self, stage: str, total: int) -> None:
        self.stage = stage
        self.total = total
        self.started = time.perf_counter()

    def step(self, done: int, what: str = "groups") -> None:
        """Log 'stage: done of total what, elapsed s'."""
        elapsed = time.perf_counter() - self.started
        message = f"{self.stage}: {done:,} of {self.total:,} {what}, {elapsed:.1f} s elapsed"
        try:
            from dbt_common.events.functions import fire_event
            from dbt_common.events.types import Note
        except ImportError:  # the package runs without dbt too (pytest, Spark)
            _LOGGER.info(message)
            return
        fire_event(Note(msg=message))
