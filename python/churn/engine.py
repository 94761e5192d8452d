"""Runs a partition-pure function over every partition: locally in a process pool, or on Spark.

A partition-pure function takes one partition's pandas frame and returns a frame of a declared
schema, deterministically, and never raises for one bad partition. The dispatcher guarantees the
last part too: an exception becomes a status row naming the partition and the error.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

PartitionFunction = Callable[[pd.DataFrame], pd.DataFrame]

# Below this many partitions the pool costs more than it saves.
MIN_PARTITIONS_FOR_POOL = 16
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class GuardedFunction:
    """Wraps a partition function so that an exception becomes a status row, not a crash."""

    function: PartitionFunction
    keys: tuple[str, ...]
    schema: tuple[tuple[str, str], ...]

    def __call__(self, partition: pd.DataFrame) -> pd.DataFrame:
        try:
            result = self.function(partition)
        except Exception as error:  # noqa: BLE001 - one bad partition must not stop the others
            key_values = {key: partition[key].iloc[0] for key in self.keys if len(partition)}
            result = pd.DataFrame(
                [{**key_values, "status": f"error: {type(error).__name__}: {error}"}]
            )
        return conform(result, self.schema)


def conform(frame: pd.DataFrame, schema: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Returns the frame with exactly the schema's columns, in order and of the declared dtypes."""
    out = pd.DataFrame(index=frame.index)
    for column, dtype in schema:
        if column in frame:
            values = frame[column]
        else:
            missing = float("nan") if dtype.startswith("float") else None
            values = pd.Series(
                missing, index=frame.index, dtype=object if missing is None else float
            )
        if dtype.startswith("float"):
            values = pd.to_numeric(values, errors="coerce")
        out[column] = values.astype(dtype)
    return out.reset_index(drop=True)


def run_partitioned(
    frame: pd.DataFrame,
    keys: Sequence[str],
    function: PartitionFunction,
    schema: Sequence[tuple[str, str]],
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Applies `function` to each group of `frame` by `keys` and concatenates the results.

    Groups are processed in sorted key order and the output is sorted the same way, so the result
    does not depend on the number of workers.
    """
    guarded = GuardedFunction(function, tuple(keys), tuple(schema))
    groups = [group for _, group in frame.groupby(list(keys), sort=True, dropna=False)]
    if not groups:
        return conform(pd.DataFrame(columns=[c for c, _ in schema]), schema)
    workers = n_jobs if n_jobs is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or len(groups) < MIN_PARTITIONS_FOR_POOL:
        results = [guarded(group) for group in groups]
    else:
        # spawn, not fork: the caller may be a dbt process holding DuckDB threads. One BLAS
        # thread per worker: the workers already use every core.
        context = multiprocessing.get_context("spawn")
        saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
        os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                results = list(
                    pool.map(guarded, groups, chunksize=max(1, len(groups) // (4 * workers)))
                )
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return pd.concat(results, ignore_index=True)


def spark_schema(schema: Sequence[tuple[str, str]]) -> str:
    """The schema as a Spark DDL string, for `applyInPandas`."""
    spark_types = {
        "int64": "bigint",
        "Int64": "bigint",
        "float64": "double",
        "Float64": "double",
        "bool": "boolean",
        "boolean": "boolean",
        "object": "string",
        "string": "string",
    }
    return ", ".join(f"{column} {spark_types[dtype]}" for column, dtype in schema)


def run_on_spark(
    spark_frame, keys: Sequence[str], function: PartitionFunction, schema: Sequence[tuple[str, str]]
):
    """The same partition function on Spark: `groupBy(keys).applyInPandas`."""
    guarded = GuardedFunction(function, tuple(keys), tuple(schema))

    # A plain one-argument function: Spark reads the arity to tell (frame) from (key, frame).
    def apply(partition: pd.DataFrame) -> pd.DataFrame:
        return guarded(partition)

    return spark_frame.groupBy(*keys).applyInPandas(apply, schema=spark_schema(schema))
