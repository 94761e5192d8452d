"""Independent tasks on a few worker processes: the one way this package uses more than one core
on one machine. Workers are spawned, not forked (the caller may be a dbt process holding DuckDB
threads), get one BLAS thread each (the workers already use every core), and exit when the pool
closes, so no idle worker holds its memory while later models run."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from churn.environment import environment_set

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class Workers:
    """Runs picklable tasks (a module-level function, plain data) on a pool's processes, or one
    after the other in this process when there is no pool. Results come in task order."""

    def __init__(self, pool: Executor | None = None, workers: int = 0) -> None:
        self.pool, self.workers = pool, workers

    @property
    def processes(self) -> int:
        """This process and the workers: how many tasks can run at once with map_here_first."""
        return 1 + self.workers

    def map(self, function: Callable[[Any], Any], tasks: Iterable[Any], chunksize: int = 1) -> list:
        """function(task) for every task, on the workers."""
        tasks = list(tasks)
        if self.pool is None or len(tasks) <= 1:
            return [function(task) for task in tasks]
        return list(self.pool.map(function, tasks, chunksize=chunksize))

    def map_here_first(self, function: Callable[[Any], Any], tasks: Iterable[Any]) -> list:
        """function(task) for every task: the first in this process while the workers run the
        others. What the first task returns was made here, never copied from another process (a
        copy can share its objects differently, and so serialise to other bytes)."""
        tasks = list(tasks)
        if self.pool is None or len(tasks) <= 1:
            return [function(task) for task in tasks]
        pending = [self.pool.submit(function, task) for task in tasks[1:]]
        first = function(tasks[0])
        return [first, *(future.result() for future in pending)]


IN_THIS_PROCESS = Workers()


@contextmanager
def process_pool(workers: int) -> Iterator[Workers]:
    """Workers on up to `workers` processes for the length of the block (none when `workers` is
    0 or less: the tasks then run in this process)."""
    if workers <= 0:
        yield IN_THIS_PROCESS
        return
    context = multiprocessing.get_context("spawn")
    with (
        environment_set(dict.fromkeys(BLAS_THREAD_VARIABLES, "1")),
        ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool,
    ):
        yield Workers(pool, workers)
