"""Trained models delivered as versioned, verifiable artifacts.

An artifact is a folder (by default `artifacts/<version>/`) holding

- `model.skops`: the fitted scikit-learn objects, written with skops (never pickle) and made
  byte-for-byte reproducible (object ids renumbered, fixed zip timestamps);
- `model_card.json`: version, data cutoff, label definition, features and their types, parameters,
  sub-models, training / calibration / test metrics, package versions;
- `manifest.json`: the format, kind, version and the sha256 and size of every other file.

`load` checks the manifest hashes, refuses unlisted files, compares the feature schema with the one
this version of the package computes, and lets skops rebuild only an explicit allow-list of types,
so nothing from an artifact runs before it has been verified.

Classes: `ModelArtifact` (saving, loading, verification, model card) and `QuickChurnClassifier`
(the quick-churn model: `fit`, `predict_proba`, `score`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import tempfile
import zipfile
from abc import ABC, abstractmethod
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import skops.io as sio

from churn.classifier import estimators
from churn.classifier.features import (
    FEATURE_SCHEMA,
    MODEL_INPUTS,
    FeatureSchemaError,
    prepare,
)

FORMAT = "churn-artifact/1"
MODEL_FILE = "model.skops"
CARD_FILE = "model_card.json"
MANIFEST_FILE = "manifest.json"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
PACKAGES = ("churn", "scikit-learn", "numpy", "pandas", "scipy", "skops")

# Types outside skops' default trust that a quick-churn model legitimately contains. Anything else
# in a model file (a function, a class from another module) makes `load` refuse the artifact.
ALLOWED_TYPES = frozenset(
    {
        "functools.partial",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.utils.validation.check_array",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.Interval",
        "numpy.dtype",
    }
)

RISK_BAND_NAMES = {
    1: ("low", "high"),
    2: ("low", "medium", "high"),
    3: ("low", "medium", "high", "very_high"),
}


class ArtifactError(Exception):
    """An artifact cannot be saved, found or trusted; the message says why."""


class ArtifactIntegrityError(ArtifactError):
    """The artifact's files do not match its manifest, or it holds types that are not allowed."""


class SchemaMismatchError(ArtifactError, ValueError):
    """The features the artifact was trained on differ from those offered or computed."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_skops(obj: Any) -> bytes:
    """skops bytes that depend only on the object's content: skops names the arrays in its zip by
    memory address and stamps the current time; renumber the ids in order of appearance and fix
    the timestamps, so the same model gives the same sha256."""
    source = zipfile.ZipFile(io.BytesIO(sio.dumps(obj)))
    schema_text = source.read("schema.json").decode()
    renumbered: dict[str, str] = {}
    for found in re.finditer(r'"__id__": (\d+)', schema_text):
        renumbered.setdefault(found.group(1), str(len(renumbered) + 1))
    for name in source.namelist():
        stem = name.rsplit(".", 1)[0]
        if name != "schema.json" and stem not in renumbered:
            renumbered[stem] = str(len(renumbered) + 1)

    def rename(text: str) -> str:
        text = re.sub(r'"__id__": (\d+)', lambda m: f'"__id__": {renumbered[m.group(1)]}', text)
        return re.sub(
            r'"file": "(\d+)\.npy"', lambda m: f'"file": "{renumbered[m.group(1)]}.npy"', text
        )

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        entries = {"schema.json": rename(schema_text).encode()}
        for name in source.namelist():
            if name != "schema.json":
                stem, suffix = name.rsplit(".", 1)
                entries[f"{renumbered[stem]}.{suffix}"] = source.read(name)
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a model depends on."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n").encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class ModelArtifact(ABC):
    """A trained model that saves itself as a verified, versioned folder and loads back.

    Subclasses set `kind`, implement `fit`, `predict_proba`, `_state` (what skops stores: plain
    scikit-learn objects, numbers, lists and dicts) and `_restore` (the inverse), and keep their
    descriptive metadata in `card`.
    """

    kind: ClassVar[str] = ""
    feature_schema: ClassVar[dict[str, str]] = {}
    _registry: ClassVar[dict[str, type[ModelArtifact]]] = {}

    card: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            ModelArtifact._registry[cls.kind] = cls

    @abstractmethod
    def fit(self, *args: Any, **kwargs: Any) -> ModelArtifact:
        """Trains the model and fills the card; returns self."""

    @abstractmethod
    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n, 2), for a frame of raw-named feature columns."""

    @abstractmethod
    def _state(self) -> dict[str, Any]:
        """The fitted objects to store in the model file."""

    @abstractmethod
    def _restore(self, state: dict[str, Any]) -> None:
        """Rebuilds the fitted model from `_state()` as loaded back."""

    @property
    def version(self) -> str | None:
        return self.card.get("version")

    def save(self, path: str | Path) -> Path:
        """Writes the artifact folder at `path` (replaced if it holds a different artifact) and
        returns it. The files are written to a temporary sibling and renamed into place."""
        if not self.card.get("version"):
            raise ArtifactError("the artifact has no version: set card['version'] before saving")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        files = {
            MODEL_FILE: canonical_skops(self._state()),
            CARD_FILE: _json_bytes({**self.card, "kind": self.kind, "format": FORMAT}),
        }
        manifest = {
            "format": FORMAT,
            "kind": self.kind,
            "version": self.card["version"],
            "files": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                for name, data in sorted(files.items())
            },
        }
        manifest_bytes = _json_bytes(manifest)
        if (path / MANIFEST_FILE).is_file() and (
            path / MANIFEST_FILE
        ).read_bytes() == manifest_bytes:
            try:
                self.verify(path)
                return path  # the same artifact is already there, intact
            except ArtifactError:
                pass
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            (staging / MANIFEST_FILE).write_bytes(manifest_bytes)
            staging.chmod(0o755)
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
            try:
                os.replace(staging, path)
            except OSError:
                # Another build saved the same version meanwhile: fine if it is this artifact.
                if (path / MANIFEST_FILE).read_bytes() != manifest_bytes:
                    raise
                self.verify(path)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return path

    @staticmethod
    def verify(path: str | Path) -> dict[str, Any]:
        """Checks the folder against its manifest (format, every hash and size, no unlisted file)
        and returns the manifest; raises ArtifactIntegrityError otherwise."""
        path = Path(path)
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            raise ArtifactError(f"{path} is not a model artifact: {MANIFEST_FILE} not found")
        try:
            manifest = json.loads(manifest_path.read_text())
            files = manifest["files"]
        except (ValueError, KeyError, TypeError) as error:
            raise ArtifactIntegrityError(
                f"{manifest_path} is not a valid manifest: {error}"
            ) from error
        if manifest.get("format") != FORMAT:
            raise ArtifactIntegrityError(
                f"{path}: artifact format {manifest.get('format')!r}, this package reads {FORMAT!r}"
            )
        present = {entry.name for entry in path.iterdir()} - {MANIFEST_FILE}
        unlisted = sorted(present - set(files))
        if unlisted:
            raise ArtifactIntegrityError(
                f"{path}: files not in the manifest: {', '.join(unlisted)}"
            )
        for name, expected in sorted(files.items()):
            file = path / name
            if not file.is_file():
                raise ArtifactIntegrityError(
                    f"{path}: {name} is listed in the manifest but missing"
                )
            actual = sha256_file(file)
            if actual != expected.get("sha256") or file.stat().st_size != expected.get("bytes"):
                raise ArtifactIntegrityError(
                    f"{path}: {name} does not match its manifest (sha256 {actual[:12]}..., "
                    f"expected {str(expected.get('sha256'))[:12]}...): the artifact was modified "
                    "after it was saved; refusing to load it"
                )
        return manifest

    @classmethod
    def load(cls, path: str | Path) -> ModelArtifact:
        """Verifies and loads an artifact folder; on the base class the manifest's kind picks the
        subclass. Raises ArtifactError (or a subclass) with the reason when it cannot be trusted."""
        path = Path(path)
        manifest = cls.verify(path)
        kind = manifest.get("kind")
        target = cls._registry.get(kind) if not cls.kind else cls
        if target is None or target.kind != kind:
            raise ArtifactError(
                f"{path} holds a {kind!r} artifact, not a {cls.kind or 'known'!r} one"
            )
        card = json.loads((path / CARD_FILE).read_text())
        if card.get("version") != manifest.get("version"):
            raise ArtifactIntegrityError(
                f"{path}: the card and the manifest disagree on the version"
            )
        target._check_card(card)
        model_file = path / MODEL_FILE
        untrusted = sio.get_untrusted_types(file=model_file)
        refused = sorted(set(untrusted) - ALLOWED_TYPES)
        if refused:
            raise ArtifactIntegrityError(
                f"{path}: {MODEL_FILE} contains types that are not allowed: {', '.join(refused)}"
            )
        state = sio.load(model_file, trusted=list(untrusted))
        artifact = target.__new__(target)
        artifact.card = card
        artifact._restore(state)
        return artifact

    @classmethod
    def _check_card(cls, card: dict[str, Any]) -> None:
        """Refuses a card whose feature schema or scikit-learn version differs from this
        package's."""
        schema = card.get("feature_schema")
        if schema != cls.feature_schema:
            trained = schema or {}
            differences = sorted(
                f"{name}: artifact {trained.get(name, 'absent')}, "
                f"package {cls.feature_schema.get(name, 'absent')}"
                for name in set(trained) | set(cls.feature_schema)
                if trained.get(name) != cls.feature_schema.get(name)
            )
            raise SchemaMismatchError(
                "the artifact was trained on a different feature schema than this version of churn "
                f"computes ({'; '.join(differences) or 'order differs'}); retrain it"
            )
        trained_with = str(card.get("package_versions", {}).get("scikit-learn", ""))
        installed = package_versions()["scikit-learn"]
        if trained_with.split(".")[:2] != installed.split(".")[:2]:
            raise ArtifactError(
                f"the artifact was saved with scikit-learn {trained_with or 'unknown'}, this "
                f"environment has {installed}; models do not carry across scikit-learn versions, "
                "retrain it"
            )


class QuickChurnClassifier(ModelArtifact):
    """P(quick churn) at the decision point: T <= H months under the K-month churn rule.

    `algorithm` is `logistic` or `boosted`; `grain` is `global`, `partner` or `partition` (finer
    sub-models only where a partner / partition has enough labelled players, parents elsewhere).
    """

    kind: ClassVar[str] = "quick_churn_classifier"
    feature_schema: ClassVar[dict[str, str]] = dict(FEATURE_SCHEMA)

    def __init__(
        self,
        algorithm: str = "boosted",
        grain: str = "global",
        seed: int = 42,
        min_train_players: int = 1500,
        min_calibration_players: int = 300,
        min_global_train_players: int = 200,
        min_global_calibration_players: int = 50,
        risk_band_edges: tuple[float, ...] = (0.5, 0.7, 0.85),
        quick_churn_months: int = 3,
        churn_inactive_months: int = 3,
        decision_month: int = 0,
    ) -> None:
        if algorithm not in estimators.ALGORITHMS:
            raise ValueError(f"algorithm must be one of {estimators.ALGORITHMS}, got {algorithm!r}")
        if grain not in estimators.GRAINS:
            raise ValueError(f"grain must be one of {estimators.GRAINS}, got {grain!r}")
        edges = [float(edge) for edge in risk_band_edges]
        if not edges or edges != sorted(edges) or len(edges) > 3:
            raise ValueError(f"risk_band_edges must be 1 to 3 increasing cut points, got {edges}")
        self.params = {
            "algorithm": algorithm,
            "grain": grain,
            "seed": int(seed),
            "min_train_players": int(min_train_players),
            "min_calibration_players": int(min_calibration_players),
            "min_global_train_players": int(min_global_train_players),
            "min_global_calibration_players": int(min_global_calibration_players),
        }
        self.card = {
            "version": None,
            "data_cutoff": None,
            "label": {
                "definition": "quick churn: survival time T <= H months under the churn rule (K "
                "consecutive inactive months after the last active month L; T = L + 1)",
                "quick_churn_months": int(quick_churn_months),
                "churn_inactive_months": int(churn_inactive_months),
                "decision_month": int(decision_month),
            },
            "params": self.params,
            "feature_schema": dict(FEATURE_SCHEMA),
            "model_inputs": list(MODEL_INPUTS),
            "risk_band_edges": edges,
            "package_versions": package_versions(),
        }
        self.submodels_: dict[str, estimators.CalibratedModel] = {}

    @property
    def algorithm(self) -> str:
        return self.card["params"]["algorithm"]

    @property
    def grain(self) -> str:
        return self.card["params"]["grain"]

    def fit(
        self,
        features: pd.DataFrame,
        labels,
        calibration_features: pd.DataFrame,
        calibration_labels,
        fit_cache: dict | None = None,
    ) -> QuickChurnClassifier:
        """Fits the global model, then (grain permitting) partner and partition models where they
        have enough players, each on the training rows and calibrated on the calibration rows.
        Candidates sharing a `fit_cache` reuse sub-models fitted on exactly the same rows."""
        params = self.card["params"]
        train, calibration = self._inputs(features), self._inputs(calibration_features)
        y_train = np.asarray(labels, dtype=int)
        y_calibration = np.asarray(calibration_labels, dtype=int)
        if not estimators.is_trainable(
            y_train,
            y_calibration,
            params["min_global_train_players"],
            params["min_global_calibration_players"],
        ):
            raise ValueError(
                f"not enough labelled players to train: {len(y_train)} in training and "
                f"{len(y_calibration)} in calibration (at least "
                f"{params['min_global_train_players']} and "
                f"{params['min_global_calibration_players']}, both outcomes present)"
            )
        fit = _cached_fit(self.algorithm, params["seed"], {} if fit_cache is None else fit_cache)
        submodels = {
            estimators.GLOBAL_KEY: fit(
                estimators.GLOBAL_KEY, train, y_train, calibration, y_calibration
            )
        }
        train_chain = estimators.submodel_keys(
            train["partner_id"], train["partition_key"], self.grain
        )
        calibration_chain = estimators.submodel_keys(
            calibration["partner_id"], calibration["partition_key"], self.grain
        )
        # Coarse to fine: partner models first, then partitions.
        for train_keys, calibration_keys in zip(
            reversed(train_chain[:-1]), reversed(calibration_chain[:-1]), strict=True
        ):
            for key in sorted(set(train_keys)):
                in_train = (train_keys == key).to_numpy()
                in_calibration = (calibration_keys == key).to_numpy()
                if estimators.is_trainable(
                    y_train[in_train],
                    y_calibration[in_calibration],
                    params["min_train_players"],
                    params["min_calibration_players"],
                ):
                    submodels[key] = fit(
                        key,
                        train[in_train],
                        y_train[in_train],
                        calibration[in_calibration],
                        y_calibration[in_calibration],
                    )
        self.submodels_ = submodels
        self.card["submodels"] = {
            key: {
                "n_train": model.n_train,
                "n_calibration": model.n_calibration,
                "calibration": {
                    "weight_log_p": model.weight_log_p,
                    "weight_log_1mp": model.weight_log_1mp,
                    "intercept": model.intercept,
                },
            }
            for key, model in sorted(submodels.items())
        }
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """[[1 - p, p]] per row, p = P(quick churn), for raw-named feature columns."""
        probability, _ = self._predict(frame)
        return np.column_stack([1 - probability, probability])

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per row: `quick_churn_probability`, `risk_band` and `served_by` (the sub-model used)."""
        probability, served = self._predict(frame)
        return pd.DataFrame(
            {
                "quick_churn_probability": probability,
                "risk_band": self.risk_band(probability),
                "served_by": served.to_numpy(),
            },
            index=frame.index,
        )

    def risk_band(self, probability: np.ndarray) -> np.ndarray:
        """Band names from the card's cut points; a probability on a cut point is in the upper
        band."""
        edges = self.card["risk_band_edges"]
        names = np.array(RISK_BAND_NAMES[len(edges)], dtype=object)
        return names[np.digitize(np.asarray(probability, dtype=float), edges)]

    def _predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
        if not self.submodels_:
            raise ArtifactError("the model is not fitted")
        inputs = self._inputs(frame)
        served = estimators.route(
            inputs["partner_id"], inputs["partition_key"], self.grain, set(self.submodels_)
        )
        probability = np.full(len(inputs), np.nan)
        with estimators.single_threaded():
            for key in sorted(set(served)):
                rows = (served == key).to_numpy()
                probability[rows] = self.submodels_[key].predict(inputs[rows])
        return probability, served

    @staticmethod
    def _inputs(frame: pd.DataFrame) -> pd.DataFrame:
        try:
            return prepare(frame)
        except FeatureSchemaError as error:
            raise SchemaMismatchError(str(error)) from error

    def _state(self) -> dict[str, Any]:
        return {
            key: {
                "pipeline": model.pipeline,
                "weight_log_p": model.weight_log_p,
                "weight_log_1mp": model.weight_log_1mp,
                "intercept": model.intercept,
                "n_train": model.n_train,
                "n_calibration": model.n_calibration,
            }
            for key, model in sorted(self.submodels_.items())
        }

    def _restore(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or estimators.GLOBAL_KEY not in state:
            raise ArtifactIntegrityError("the model file does not hold a quick-churn model")
        self.submodels_ = {}
        fields = {
            "pipeline",
            "weight_log_p",
            "weight_log_1mp",
            "intercept",
            "n_train",
            "n_calibration",
        }
        for key, entry in state.items():
            missing = sorted(fields - set(entry)) if isinstance(entry, dict) else sorted(fields)
            if missing:
                raise ArtifactIntegrityError(
                    f"sub-model {key} lacks {', '.join(missing)}: the artifact was written by "
                    "another version of churn; retrain it"
                )
            pipeline = entry["pipeline"]
            names = list(getattr(pipeline, "feature_names_in_", []))
            if names != list(MODEL_INPUTS):
                raise SchemaMismatchError(
                    f"sub-model {key} was fitted on inputs {names}, "
                    f"this package prepares {MODEL_INPUTS}"
                )
            self.submodels_[key] = estimators.CalibratedModel(
                pipeline,
                float(entry["weight_log_p"]),
                float(entry["weight_log_1mp"]),
                float(entry["intercept"]),
                int(entry["n_train"]),
                int(entry["n_calibration"]),
            )


def _cached_fit(algorithm: str, seed: int, cache: dict):
    """Fits a sub-model, or reuses one that `cache` holds for the same algorithm, seed and rows."""

    def fit(
        key: str,
        train: pd.DataFrame,
        y_train: np.ndarray,
        calibration: pd.DataFrame,
        y_calibration: np.ndarray,
    ) -> estimators.CalibratedModel:
        signature = (
            algorithm,
            seed,
            key,
            _frame_digest(train, y_train),
            _frame_digest(calibration, y_calibration),
        )
        if signature not in cache:
            cache[signature] = estimators.fit_calibrated(
                algorithm, seed, train, y_train, calibration, y_calibration
            )
        return cache[signature]

    return fit


def _frame_digest(frame: pd.DataFrame, labels: np.ndarray) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(
        hashed.tobytes() + np.asarray(labels, dtype=np.int8).tobytes()
    ).hexdigest()
