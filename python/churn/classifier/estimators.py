"""The two model families, their calibration and the grain at which they are fitted.

- `logistic`: L2-regularised logistic regression on standardised inputs, one-hot low-cardinality
  categories and cross-fitted target encodings of the high-cardinality ones. The baseline.
- `boosted`: scikit-learn's HistGradientBoostingClassifier with native categories for the few-level
  columns and the same target encodings.

Both are calibrated by beta calibration, logit(p) = c + a log(raw) - b log(1 - raw) (Platt scaling
when a = b), fitted on cross-fitted raw probabilities: k pipelines, each fitted on all rows but one
fold, give every player a raw probability from a pipeline that did not see them; predictions
average the k calibrated pipelines (scikit-learn's CalibratedClassifierCV with ensemble=True).
Every row reaches k - 1 of the k pipelines; none is held back from the model as a whole.

Grain: `global` fits one model on every partition (partition identity is a target-encoded input);
`partner` adds one model per partner with enough labelled players; `partition` adds one per
partner x geo on top of that. A partner or partition without enough players is served by its
parent (partition -> partner -> global), so thousands of small partitions never get fragile fits
of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder
from threadpoolctl import threadpool_limits

from churn.classifier.features import (
    HIGH_CARDINALITY_INPUTS,
    LOW_CARDINALITY_INPUTS,
    NUMERIC_INPUTS,
)
from churn.classifier.metrics import EPSILON, logit

ALGORITHMS = ("logistic", "boosted")
GRAINS = ("global", "partner", "partition")
GLOBAL_KEY = "global"
# Target-encoding shrinkage toward the overall rate, in players: a tracker seen 30 times gets
# about half its own rate. Fixed rather than "auto" because the auto estimate is noisy for
# trackers with a handful of players.
TARGET_ENCODING_SMOOTHING = 30.0
TARGET_ENCODING_FOLDS = 5
# Rows per prediction task: the unit the threads share out (and a bound on the memory of the
# transformed inputs).
PREDICT_CHUNK_ROWS = 2**16


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS and OpenMP on one thread: on a small shared machine, threads spinning for each other
    cost far more than they save (seconds became minutes), and one thread is deterministic."""
    with threadpool_limits(limits=1):
        yield


Item = TypeVar("Item")
Result = TypeVar("Result")


def _openmp_on_one_thread() -> None:
    # OpenMP's thread count is per thread: a new thread starts from the default (every core).
    threadpool_limits(limits=1, user_api="openmp")


def map_on_threads(
    function: Callable[[Item], Result], items: Sequence[Item], threads: int
) -> list[Result]:
    """function(item) for every item, in item order, on up to `threads` Python threads. Tree
    building and prediction and BLAS release the GIL, so the calibration pipelines fit and
    predict side by side; each thread keeps OpenMP on one thread, so every result is the one a
    loop gives, to the last bit, whatever `threads` is."""
    if threads <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    workers = min(threads, len(items))
    with ThreadPoolExecutor(workers, initializer=_openmp_on_one_thread) as pool:
        return list(pool.map(function, items))


def _target_encoder(seed: int) -> TargetEncoder:
    folds = StratifiedKFold(n_splits=TARGET_ENCODING_FOLDS, shuffle=True, random_state=seed)
    return TargetEncoder(target_type="binary", smooth=TARGET_ENCODING_SMOOTHING, cv=folds)


def build_pipeline(algorithm: str, seed: int) -> Pipeline:
    """An unfitted scikit-learn pipeline from `prepare`d inputs to a raw quick-churn probability."""
    if algorithm == "logistic":
        numeric = Pipeline(
            [
                (
                    "impute",
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                ),
                ("scale", StandardScaler()),
            ]
        )
        encoded = Pipeline([("encode", _target_encoder(seed)), ("scale", StandardScaler())])
        columns = ColumnTransformer(
            [
                ("numeric", numeric, NUMERIC_INPUTS),
                (
                    "one_hot",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    LOW_CARDINALITY_INPUTS,
                ),
                ("target", encoded, HIGH_CARDINALITY_INPUTS),
            ]
        )
        model = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200)
        return Pipeline([("columns", columns), ("model", model)])
    if algorithm == "boosted":
        ordinal = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
        )
        columns = ColumnTransformer(
            [
                ("numeric", "passthrough", NUMERIC_INPUTS),
                ("categories", ordinal, LOW_CARDINALITY_INPUTS),
                ("target", _target_encoder(seed), HIGH_CARDINALITY_INPUTS),
            ],
            verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        model = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=300,
            max_leaf_nodes=8,
            min_samples_leaf=80,
            l2_regularization=1.0,
            categorical_features=LOW_CARDINALITY_INPUTS,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=15,
            random_state=seed,
        )
        return Pipeline([("columns", columns), ("model", model)])
    raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {', '.join(ALGORITHMS)}")


def _beta_inputs(raw: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(raw, dtype=float), EPSILON, 1 - EPSILON)
    return np.column_stack([np.log(clipped), -np.log(1 - clipped)])


@dataclass
class CalibratedModel:
    """Cross-fitted pipelines and their shared beta calibration: P is the mean over the pipelines
    of sigmoid(intercept + weight_log_p x log(raw) - weight_log_1mp x log(1 - raw))."""

    pipelines: list[Pipeline]
    weight_log_p: float
    weight_log_1mp: float
    intercept: float
    n_train: int

    def predict(self, inputs: pd.DataFrame, threads: int = 1) -> np.ndarray:
        """Over chunks of PREDICT_CHUNK_ROWS rows, on `threads` threads (no frame is shared
        between threads). The chunks do not depend on `threads`: BLAS's result for a row can
        change in the last bit with where the row falls in its block."""
        weights = np.array([self.weight_log_p, self.weight_log_1mp])
        chunks = [
            inputs.iloc[start : start + PREDICT_CHUNK_ROWS]
            for start in range(0, max(1, len(inputs)), PREDICT_CHUNK_ROWS)
        ]
        raw = np.concatenate(
            map_on_threads(
                lambda chunk: np.array(
                    [pipeline.predict_proba(chunk)[:, 1] for pipeline in self.pipelines]
                ).reshape(len(self.pipelines), len(chunk)),
                chunks,
                threads,
            ),
            axis=1,
        )
        calibrated = [expit(self.intercept + _beta_inputs(column) @ weights) for column in raw]
        return np.mean(calibrated, axis=0)


def beta_calibration(raw: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """(a, b, c) of logit P(y) = c + a log(raw) - b log(1 - raw) (Kull et al.'s beta calibration),
    barely regularised. It contains Platt scaling (a = b) and also corrects a miscalibration that
    differs between the two tails, which the logistic baseline shows. A negative weight would make
    the map non-monotone: then Platt scaling on logit(raw) instead."""
    model = LogisticRegression(C=1e4, max_iter=1000).fit(_beta_inputs(raw), labels)
    a, b = model.coef_[0]
    if a < 0 or b < 0:
        platt = LogisticRegression(C=1e4, max_iter=1000).fit(logit(raw).reshape(-1, 1), labels)
        a = b = platt.coef_[0, 0]
        model = platt
    return float(a), float(b), float(model.intercept_[0])


def fit_calibrated(
    algorithm: str,
    seed: int,
    inputs: pd.DataFrame,
    labels: np.ndarray,
    folds: int,
    threads: int = 1,
) -> CalibratedModel:
    """`folds` pipelines, each fitted on all rows but one fold; the beta calibration is fitted on
    the pooled held-out raw probabilities, so it maps exactly the kind of output it is applied to
    (scikit-learn's CalibratedClassifierCV with ensemble=True); predictions average the folds.
    The folds fit on `threads` threads (the same pipelines, bit for bit)."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(inputs, labels))
    # Rows are selected here, not in the threads: a pandas frame is not safe to index from
    # several threads at once.
    tasks = [
        (inputs.iloc[fit_rows], labels[fit_rows], inputs.iloc[held_out])
        for fit_rows, held_out in splits
    ]

    def fit_fold(task: tuple) -> tuple[Pipeline, np.ndarray]:
        fit_inputs, fit_labels, held_out_inputs = task
        pipeline = build_pipeline(algorithm, seed).fit(fit_inputs, fit_labels)
        return pipeline, pipeline.predict_proba(held_out_inputs)[:, 1]

    raw = np.empty(len(labels))
    with single_threaded():
        fitted = map_on_threads(fit_fold, tasks, threads)
        for (_, held_out), (_, probabilities) in zip(splits, fitted, strict=True):
            raw[held_out] = probabilities
        weights = beta_calibration(raw, labels)
    return CalibratedModel([pipeline for pipeline, _ in fitted], *weights, len(labels))


def submodel_keys(partner_id: pd.Series, partition_key: pd.Series, grain: str) -> list[pd.Series]:
    """Candidate sub-model keys per row, most specific first, ending with the global key."""
    chain = []
    if grain == "partition":
        chain.append("partition=" + partition_key)
    if grain in ("partition", "partner"):
        chain.append("partner=" + partner_id)
    chain.append(pd.Series(GLOBAL_KEY, index=partner_id.index))
    return chain


def distinct_groups(keys: pd.Series, parents: pd.Series) -> list[tuple[str, np.ndarray]]:
    """(key, row positions) of each group of `keys` that holds fewer rows than its parent group
    in `parents` (the next key of the chain). A group holding all of its parent's rows (the one
    partner of an export, a partner's only state) would refit the parent's model on them."""
    parent_sizes = parents.value_counts()
    groups = sorted(keys.groupby(keys.to_numpy()).indices.items())
    return [
        (str(key), np.asarray(rows))
        for key, rows in groups
        if len(rows) < parent_sizes[parents.iloc[rows[0]]]
    ]


def route(
    partner_id: pd.Series, partition_key: pd.Series, grain: str, available: set[str] | dict
) -> pd.Series:
    """The sub-model serving each row: the most specific of its keys that has a model."""
    chain = submodel_keys(partner_id, partition_key, grain)
    served = chain[-1].copy()
    for keys in reversed(chain[:-1]):
        served = keys.where(keys.isin(list(available)), served)
    return served


def is_trainable(labels: np.ndarray, min_players: int, folds: int) -> bool:
    """Enough players, and each outcome often enough for every calibration fold to hold both."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=2)
    return len(labels) >= min_players and counts.min() >= 2 * folds
