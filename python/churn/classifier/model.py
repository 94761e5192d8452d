"""The quick-churn model in scikit-learn's idiom.

`QuickChurnClassifier(...)` only stores its parameters (so `get_params`, `set_params` and
`sklearn.base.clone` work); `fit` validates the frame and learns the `_` attributes; `predict_proba`
returns [[1 - p, p]]. `score_frame` returns a frame (probability, risk band, serving sub-model).
Saving and loading go through `churn.artifact`, which knows nothing about this class: the model
hands it plain state (`to_state`) and rebuilds itself from it (`from_state`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from churn.artifact import ArtifactError, ArtifactIntegrityError, load_artifact
from churn.classifier import estimators
from churn.classifier.features import (
    CATEGORY_CODING,
    CATEGORY_CODINGS,
    FEATURE_SCHEMA,
    MODEL_INPUTS,
    TEXT_CODING,
    prepare_for_model,
)

# The estimator's defaults, set here once; a dbt build overrides them through its vars.
DEFAULT_SEED = 42
DEFAULT_MIN_SUBMODEL_PLAYERS = 1500
DEFAULT_CALIBRATION_FOLDS = 3
DEFAULT_RISK_BAND_EDGES = (0.5, 0.7, 0.85)
# Below this many labelled players even the global model is not fitted.
MIN_GLOBAL_PLAYERS = 200
RISK_BAND_NAMES = {
    1: ("low", "high"),
    2: ("low", "medium", "high"),
    3: ("low", "medium", "high", "very_high"),
}
ARTIFACT_KIND = "quick_churn_classifier"
STATE_FIELDS = ("pipelines", "weight_log_p", "weight_log_1mp", "intercept", "n_train")
# Parameters of how a model runs, not of what it is: never saved, so an artifact and its card do
# not depend on the machine that made them.
RUNTIME_PARAMS = ("n_jobs",)


class QuickChurnClassifier(ClassifierMixin, BaseEstimator):
    """P(quick churn) at the decision point from the columns of `int_classifier__features`.

    `algorithm`: `logistic` or `boosted`. `grain`: `global`, `partner` or `partition`; a finer grain
    fits its own sub-model only for a partner / partition with at least `min_submodel_players`
    labelled players (both outcomes), and serves the rest from the parent. Each sub-model averages
    `calibration_folds` cross-fitted pipelines, beta-calibrated on their held-out probabilities.
    `n_jobs`: threads that fit and predict a sub-model's pipelines; the results do not depend on
    it, to the last bit.
    """

    def __init__(
        self,
        algorithm: str = "logistic",
        grain: str = "global",
        seed: int = DEFAULT_SEED,
        min_submodel_players: int = DEFAULT_MIN_SUBMODEL_PLAYERS,
        calibration_folds: int = DEFAULT_CALIBRATION_FOLDS,
        risk_band_edges: tuple[float, ...] = DEFAULT_RISK_BAND_EDGES,
        n_jobs: int = 1,
    ) -> None:
        self.algorithm = algorithm
        self.grain = grain
        self.seed = seed
        self.min_submodel_players = min_submodel_players
        self.calibration_folds = calibration_folds
        self.risk_band_edges = risk_band_edges
        self.n_jobs = n_jobs

    def _check_params(self) -> None:
        if self.algorithm not in estimators.ALGORITHMS:
            raise ValueError(
                f"algorithm must be one of {estimators.ALGORITHMS}, got {self.algorithm!r}"
            )
        if self.grain not in estimators.GRAINS:
            raise ValueError(f"grain must be one of {estimators.GRAINS}, got {self.grain!r}")
        edges = [float(edge) for edge in self.risk_band_edges]
        if not edges or edges != sorted(edges) or len(edges) > 3:
            raise ValueError(f"risk_band_edges must be 1 to 3 increasing cut points, got {edges}")
        if int(self.calibration_folds) < 2:
            raise ValueError(f"calibration_folds must be at least 2, got {self.calibration_folds}")

    def fit(self, X: pd.DataFrame, y: Any) -> QuickChurnClassifier:
        """Fits the global sub-model, then (grain permitting) partner and partition sub-models
        where the data supports them."""
        self._check_params()
        prepared = prepare_for_model(X, CATEGORY_CODING)
        inputs = prepared.inputs
        labels = np.asarray(y, dtype=int)
        if labels.shape != (len(inputs),):
            raise ValueError(f"y has shape {labels.shape}, expected ({len(inputs)},)")
        folds = int(self.calibration_folds)
        if not estimators.is_trainable(labels, MIN_GLOBAL_PLAYERS, folds):
            raise ValueError(
                f"not enough labelled players to train: {len(labels)} with "
                f"{int(labels.sum())} quick churners (at least {MIN_GLOBAL_PLAYERS} players and "
                f"{2 * folds} of each outcome)"
            )
        seed, threads = int(self.seed), max(1, int(self.n_jobs))
        submodels = {
            estimators.GLOBAL_KEY: estimators.fit_calibrated(
                self.algorithm, seed, inputs, labels, folds, threads
            )
        }
        chain = estimators.submodel_keys(prepared.partner_key, prepared.partition_key, self.grain)
        # Coarse to fine: partner sub-models first, then partitions.
        # One group-by per level (row positions per key), not a scan of every row per key.
        for level in reversed(range(len(chain) - 1)):
            for key, rows in estimators.distinct_groups(chain[level], chain[level + 1]):
                if estimators.is_trainable(labels[rows], int(self.min_submodel_players), folds):
                    submodels[key] = estimators.fit_calibrated(
                        self.algorithm, seed, inputs.iloc[rows], labels[rows], folds, threads
                    )
        self.submodels_ = submodels
        self.category_coding_ = CATEGORY_CODING
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(FEATURE_SCHEMA)
        self.n_train_ = len(labels)
        return self

    def coarsened(self, grain: str) -> QuickChurnClassifier:
        """The same fit served at a coarser grain: the sub-models that grain would have fitted are
        exactly these on the same rows, so candidates of several grains share one fit."""
        check_is_fitted(self, "submodels_")
        order = estimators.GRAINS
        if order.index(grain) > order.index(self.grain):
            raise ValueError(f"cannot serve a {self.grain} fit at the finer grain {grain}")
        prefixes = {"global": (), "partner": ("partner=",), "partition": ("partner=", "partition=")}
        out = QuickChurnClassifier(**{**self.get_params(), "grain": grain})
        out.submodels_ = {
            key: model
            for key, model in self.submodels_.items()
            if key == estimators.GLOBAL_KEY or key.startswith(prefixes[grain])
        }
        out.classes_, out.n_features_in_, out.n_train_, out.category_coding_ = (
            self.classes_,
            self.n_features_in_,
            self.n_train_,
            self.category_coding_,
        )
        return out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """[[1 - p, p]] per row, p = P(quick churn), for raw-named feature columns."""
        probability, _ = self._predict(X)
        return np.column_stack([1 - probability, probability])

    def score_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row of X: `quick_churn_probability`, `risk_band` and `served_by` (the sub-model)."""
        probability, served = self._predict(X)
        return pd.DataFrame(
            {
                "quick_churn_probability": probability,
                "risk_band": self.risk_band(probability),
                "served_by": served.to_numpy(),
            },
            index=X.index,
        )

    def risk_band(self, probability: np.ndarray) -> np.ndarray:
        """Band names from the cut points; a probability on a cut point is in the upper band."""
        edges = [float(edge) for edge in self.risk_band_edges]
        names = np.array(RISK_BAND_NAMES[len(edges)], dtype=object)
        return names[np.digitize(np.asarray(probability, dtype=float), edges)]

    def _predict(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
        check_is_fitted(self, "submodels_")
        inputs, partner_key, partition_key = prepare_for_model(X, self.category_coding_)
        served = estimators.route(partner_key, partition_key, self.grain, self.submodels_)
        probability = np.full(len(inputs), np.nan)
        threads = max(1, int(self.n_jobs))
        with estimators.single_threaded():
            for key, rows in sorted(served.groupby(served.to_numpy()).indices.items()):
                probability[rows] = self.submodels_[str(key)].predict(inputs.iloc[rows], threads)
        return probability, served

    def saved_params(self) -> dict[str, Any]:
        """The parameters an artifact and its card keep: what the model is, not how it runs."""
        params = {
            name: value for name, value in self.get_params().items() if name not in RUNTIME_PARAMS
        }
        return {**params, "risk_band_edges": [float(edge) for edge in self.risk_band_edges]}

    def submodel_summary(self) -> dict[str, dict[str, Any]]:
        """Per sub-model: its training size and calibration weights (for the model card)."""
        check_is_fitted(self, "submodels_")
        return {
            key: {
                "n_train": model.n_train,
                "calibration": {
                    "weight_log_p": model.weight_log_p,
                    "weight_log_1mp": model.weight_log_1mp,
                    "intercept": model.intercept,
                },
            }
            for key, model in sorted(self.submodels_.items())
        }

    def to_state(self) -> dict[str, Any]:
        """What an artifact stores: the parameters and, per sub-model, the fitted scikit-learn
        pipeline and plain numbers (no class of this package, so loading trusts only sklearn)."""
        check_is_fitted(self, "submodels_")
        return {
            "params": self.saved_params(),
            "n_train": int(self.n_train_),
            "category_coding": self.category_coding_,
            "submodels": {
                key: {
                    "pipelines": list(model.pipelines),
                    "weight_log_p": model.weight_log_p,
                    "weight_log_1mp": model.weight_log_1mp,
                    "intercept": model.intercept,
                    "n_train": model.n_train,
                }
                for key, model in sorted(self.submodels_.items())
            },
        }

    @classmethod
    def from_state(cls, state: Any) -> QuickChurnClassifier:
        """Rebuilds a fitted model from `to_state()`; ValueError when the state is not one."""
        if not isinstance(state, dict) or not isinstance(state.get("submodels"), dict):
            raise ValueError("the model file does not hold a quick-churn model")
        params = {
            name: value
            for name, value in (state.get("params") or {}).items()
            if name not in RUNTIME_PARAMS
        }
        params["risk_band_edges"] = tuple(params.get("risk_band_edges", DEFAULT_RISK_BAND_EDGES))
        model = cls(**params)
        model._check_params()
        submodels = {}
        for key, entry in state["submodels"].items():
            if not isinstance(entry, dict) or set(STATE_FIELDS) - set(entry):
                raise ValueError(
                    f"sub-model {key} is incomplete: the artifact was written by another version "
                    "of churn; retrain it"
                )
            pipelines = list(entry["pipelines"])
            names = [list(getattr(pipeline, "feature_names_in_", [])) for pipeline in pipelines]
            if not pipelines or any(name != list(MODEL_INPUTS) for name in names):
                raise ValueError(
                    f"sub-model {key} was fitted on inputs {names[:1]}, this package prepares "
                    f"{MODEL_INPUTS}; retrain it"
                )
            submodels[key] = estimators.CalibratedModel(
                pipelines,
                float(entry["weight_log_p"]),
                float(entry["weight_log_1mp"]),
                float(entry["intercept"]),
                int(entry["n_train"]),
            )
        if estimators.GLOBAL_KEY not in submodels:
            raise ValueError("the model file has no global sub-model")
        # Saved before categories were coded: the state has no coding and its encoders know text.
        coding = state.get("category_coding", TEXT_CODING)
        if coding not in CATEGORY_CODINGS:
            raise ValueError(
                f"the model was fitted on categories coded as {coding!r}, which this version of "
                f"churn does not know ({', '.join(CATEGORY_CODINGS)}); retrain it"
            )
        model.submodels_ = submodels
        model.category_coding_ = coding
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(FEATURE_SCHEMA)
        model.n_train_ = int(state.get("n_train", 0))
        return model


def load_quick_churn_model(
    location: str | Path, version: str | None = None, n_jobs: int = 1
) -> QuickChurnClassifier:
    """A verified quick-churn artifact as a fitted model (`card_` holds its card) that predicts
    on `n_jobs` threads. `location`: an artifact folder, or a folder of artifacts with `version`
    (default: its CURRENT pointer). Raises ArtifactError with the reason when it cannot be
    trusted or does not fit this package."""
    loaded = load_artifact(location, version, kind=ARTIFACT_KIND)
    schema = loaded.card.get("feature_schema")
    if schema != FEATURE_SCHEMA:
        trained = schema or {}
        differences = sorted(
            f"{name}: artifact {trained.get(name, 'absent')}, package "
            f"{FEATURE_SCHEMA.get(name, 'absent')}"
            for name in set(trained) | set(FEATURE_SCHEMA)
            if trained.get(name) != FEATURE_SCHEMA.get(name)
        )
        raise SchemaMismatchError(
            f"{loaded.path} was trained on a different feature schema than this version of churn "
            f"computes ({'; '.join(differences) or 'order differs'}); retrain it"
        )
    try:
        model = QuickChurnClassifier.from_state(loaded.state)
    except (ValueError, TypeError) as error:
        raise ArtifactIntegrityError(f"{loaded.path}: {error}") from error
    model.set_params(n_jobs=n_jobs)
    model.card_ = loaded.card
    model.artifact_path_ = loaded.path
    return model


class SchemaMismatchError(ArtifactError, ValueError):
    """The features the artifact was trained on differ from those this package computes."""
