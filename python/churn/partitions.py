"""Runs a group-pure function over every group of a frame: locally (serially or in a process pool)
or on Spark, with the same rows either way.

A group-pure function takes the rows of one group (`run_partitioned`, `run_on_spark`) or of a batch
of whole groups (`run_batched`, `run_batched_on_spark`) and returns rows of a declared schema
(churn.frames) for each group, deterministically, however the groups are batched. The dispatcher
guarantees that one bad group never stops the others: its exception becomes a status row naming
the error, and a failing batch is retried group by group so only the bad group gets that row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from churn.frames import Schema, columns_of, conform, empty_frame, spark_ddl
from churn.processes import process_pool

GroupFunction = Callable[[pd.DataFrame], pd.DataFrame]
# Kept for callers of the first version of this module.
PartitionFunction = GroupFunction

# Below this many groups a process pool costs more than it saves.
MIN_PARTITIONS_FOR_POOL = 16
CHUNK_COLUMN = "_churn_chunk"


@dataclass(frozen=True)
class GuardedFunction:
    """Wraps a group function so that an exception becomes a status row, not a crash."""

    function: GroupFunction
    keys: tuple[str, ...]
    schema: tuple[tuple[str, str], ...]

    def __call__(self, group: pd.DataFrame) -> pd.DataFrame:
        try:
            result = self.function(group)
        except Exception as error:  # noqa: BLE001 - one bad group must not stop the others
            result = self.status_row(group, error)
        return conform(result, self.schema)

    def status_row(self, group: pd.DataFrame, error: Exception) -> pd.DataFrame:
        key_values = {key: group[key].iloc[0] for key in self.keys if len(group)}
        return pd.DataFrame([{**key_values, "status": f"error: {type(error).__name__}: {error}"}])


@dataclass(frozen=True)
class GuardedBatch(GuardedFunction):
    """A batched group function: a failing batch is retried one group at a time."""

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        try:
            return conform(self.function(batch), self.schema)
        except Exception:  # noqa: BLE001 - find the bad group instead of failing the batch
            groups = split_groups(batch, self.keys)
            if len(groups) <= 1:
                return GuardedFunction(self.function, self.keys, self.schema)(batch)
            return pd.concat([self(group) for group in groups], ignore_index=True)


def split_groups(frame: pd.DataFrame, keys: Sequence[str]) -> list[pd.DataFrame]:
    """The frame's groups by `keys`, in sorted key order (null keys included)."""
    return [group for _, group in frame.groupby(list(keys), sort=True, dropna=False)]


def run_partitioned(
    frame: pd.DataFrame,
    keys: Sequence[str],
    function: GroupFunction,
    schema: Schema,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Applies `function` to each group of `frame` by `keys` and concatenates the results.

    Groups are processed in sorted key order and the output keeps that order, so the result does
    not depend on the number of workers.
    """
    guarded = GuardedFunction(function, tuple(keys), tuple(columns_of(schema)))
    return _run_local(guarded, split_groups(frame, keys), schema, n_jobs)


def run_batched(
    frame: pd.DataFrame,
    keys: Sequence[str],
    function: GroupFunction,
    schema: Schema,
    groups_per_batch: int | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Applies a batched `function` to batches of whole groups (all groups in one batch by
    default) in sorted key order and concatenates the results."""
    guarded = GuardedBatch(function, tuple(keys), tuple(columns_of(schema)))
    groups = split_groups(frame, keys)
    size = groups_per_batch or max(1, len(groups))
    batches = [pd.concat(groups[start : start + size]) for start in range(0, len(groups), size)]
    return _run_local(guarded, batches, schema, n_jobs if len(batches) > 1 else 1)


def _run_local(
    guarded: GuardedFunction, parts: list[pd.DataFrame], schema: Schema, n_jobs: int | None
) -> pd.DataFrame:
    if not parts:
        return empty_frame(schema)
    workers = n_jobs if n_jobs is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or len(parts) < MIN_PARTITIONS_FOR_POOL:
        return pd.concat([guarded(part) for part in parts], ignore_index=True)
    with process_pool(workers) as pool:
        results = pool.map(guarded, parts, chunksize=max(1, len(parts) // (4 * workers)))
    return pd.concat(results, ignore_index=True)


def run_on_spark(spark_frame, keys: Sequence[str], function: GroupFunction, schema: Schema):
    """The same group function on Spark: `groupBy(keys).applyInPandas`, one call per group."""
    guarded = GuardedFunction(function, tuple(keys), tuple(columns_of(schema)))

    # A plain one-argument function: Spark reads the arity to tell (frame) from (key, frame).
    def apply(group: pd.DataFrame) -> pd.DataFrame:
        return guarded(group)

    return spark_frame.groupBy(*keys).applyInPandas(apply, schema=spark_ddl(schema))


def run_batched_on_spark(
    spark_frame, keys: Sequence[str], function: GroupFunction, schema: Schema, n_chunks: int
):
    """A batched group function on Spark: whole groups are dealt to `n_chunks` chunks by a hash
    of their keys, and `applyInPandas` calls the function once per chunk."""
    from pyspark.sql import functions

    guarded = GuardedBatch(function, tuple(keys), tuple(columns_of(schema)))

    def apply(chunk: pd.DataFrame) -> pd.DataFrame:
        groups = split_groups(chunk.drop(columns=CHUNK_COLUMN), keys)
        return guarded(pd.concat(groups)) if groups else empty_frame(schema)

    chunk_id = functions.pmod(functions.xxhash64(*keys), functions.lit(n_chunks))
    return (
        spark_frame.withColumn(CHUNK_COLUMN, chunk_id)
        .groupBy(CHUNK_COLUMN)
        .applyInPandas(apply, schema=spark_ddl(schema))
    )
