"""Progress lines for long fits: in dbt's console when a dbt Python model runs them (dbt's own
event logger, in-process under dbt-duckdb), in the standard `churn` logger elsewhere."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
        if not _to_dbt_log(message):
            _LOGGER.info(message)


def _to_dbt_log(message: str) -> bool:
    """Sends a line to dbt's event logger; False where dbt is not installed (Spark workers)."""
    try:
        from dbt_common.events.functions import fire_event
        from dbt_common.events.types import Note
    except ImportError:
        return False
    fire_event(Note(msg=message))
    return True


class _DbtLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _to_dbt_log(self.format(record))
        except Exception:  # noqa: BLE001 - progress must never break a build
            pass


@contextmanager
def progress_through_dbt() -> Iterator[None]:
    """Inside a dbt Python model: the package's progress messages go to dbt's logger."""
    handler = _DbtLogHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    package_logger = logging.getLogger("churn")
    previous = package_logger.level
    propagates = package_logger.propagate
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    # Only dbt's logger prints them: a root handler some library installed would repeat each line.
    package_logger.propagate = False
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous)
        package_logger.propagate = propagates
