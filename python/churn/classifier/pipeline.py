"""What the dbt Python models of the quick-churn classifier call.

`train_and_evaluate` fits every candidate (algorithm x grain) on the training slice, calibrates
it on the calibration slice, scores the test slice, picks the default, saves it as an artifact and
returns the evaluation table. `score_players` loads that artifact (verifying it) and scores every
player.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churn.artifact import QuickChurnClassifier, package_versions
from churn.classifier import estimators
from churn.classifier.features import FEATURE_SCHEMA
from churn.classifier.metrics import (
    SliceMetrics,
    bootstrap_weights,
    evaluate_slice,
    paired_difference,
    stable_seed,
)

ALL = "_all"
SELECTION_RULE = (
    "algorithm at the global grain: boosted only if its paired bootstrap 95% interval of the test "
    "AUC gain over the logistic baseline lies above zero, else logistic; grain for that algorithm: "
    "the finer grain with the best test AUC among those whose gain over global lies above zero the "
    "same way, else global"
)
DEFAULT_ALGORITHM, DEFAULT_GRAIN = "logistic", "global"
METRIC_COLUMNS = list(SliceMetrics.__dataclass_fields__)
GAIN_COLUMNS = [
    "roc_auc_gain_vs_logistic",
    "roc_auc_gain_vs_logistic_lower",
    "roc_auc_gain_vs_logistic_upper",
    "roc_auc_gain_vs_global",
    "roc_auc_gain_vs_global_lower",
    "roc_auc_gain_vs_global_upper",
]
EVALUATION_SCHEMA: list[tuple[str, str]] = [
    ("model_version", "object"),
    ("model_name", "object"),
    ("algorithm", "object"),
    ("grain", "object"),
    ("is_default", "bool"),
    ("data_split", "object"),
    ("slice_type", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("served_by", "object"),
    *[(column, "int64" if column.startswith("n_") else "float64") for column in METRIC_COLUMNS],
    *[(column, "float64") for column in GAIN_COLUMNS],
    ("n_submodels", "int64"),
    ("artifact_path", "object"),
    ("data_cutoff", "date"),
    ("status", "object"),
]
SCORES_SCHEMA: list[tuple[str, str]] = [
    ("player_id", "object"),
    ("partner_id", "object"),
    ("geo", "object"),
    ("ftd_month", "date"),
    ("product", "object"),
    ("ben_login_id", "object"),
    ("quick_churn_probability", "float64"),
    ("risk_band", "object"),
    ("is_label_known", "bool"),
    ("is_quick_churn", "boolean"),
    ("data_split", "object"),
    ("served_by", "object"),
    ("model_version", "object"),
    ("decision_month", "int64"),
]


@dataclass(frozen=True)
class TrainingSettings:
    """Settings passed from dbt vars (through the model's config.meta)."""

    seed: int = 42
    min_train_players: int = 1500
    min_calibration_players: int = 300
    bootstrap_samples: int = 500
    risk_band_edges: tuple[float, ...] = (0.5, 0.7, 0.85)
    artifact_dir: str = "artifacts"
    quick_churn_months: int = 3
    churn_inactive_months: int = 3
    decision_month: int = 0
    algorithms: tuple[str, ...] = field(default=estimators.ALGORITHMS)
    grains: tuple[str, ...] = field(default=estimators.GRAINS)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> TrainingSettings:
        """Reads settings rendered by dbt (numbers, lists, possibly as text); missing keys keep
        their defaults."""
        values: dict[str, Any] = {}
        for name, default in asdict(cls()).items():
            raw = meta.get(name)
            if raw is None or raw == "":
                continue
            if isinstance(default, tuple):
                parsed = json.loads(raw.replace("'", '"')) if isinstance(raw, str) else raw
                values[name] = tuple(parsed)
            else:
                values[name] = type(default)(raw)
        return cls(**values)

    def classifier(self, algorithm: str, grain: str) -> QuickChurnClassifier:
        return QuickChurnClassifier(
            algorithm=algorithm,
            grain=grain,
            seed=self.seed,
            min_train_players=self.min_train_players,
            min_calibration_players=self.min_calibration_players,
            risk_band_edges=self.risk_band_edges,
            quick_churn_months=self.quick_churn_months,
            churn_inactive_months=self.churn_inactive_months,
            decision_month=self.decision_month,
        )


def training_frame(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Features with the label and split, sorted by player_id so row order (and with it every
    seeded fold and resample) does not depend on how the warehouse returned the rows."""
    label_columns = ["player_id", "is_label_known", "is_quick_churn", "data_split", "export_month"]
    frame = features.merge(
        labels[label_columns], on="player_id", how="inner", validate="one_to_one"
    )
    return frame.sort_values("player_id", kind="mergesort").reset_index(drop=True)


def model_version(frame: pd.DataFrame, settings: TrainingSettings) -> tuple[str, str]:
    """(version, data cutoff): the export month and a hash of the labelled data, settings and
    package versions, so the same inputs always give the same version."""
    cutoff = pd.Timestamp(frame["export_month"].max()).strftime("%Y-%m-%d")
    labelled = frame[frame["data_split"].isin(["train", "calibration", "test"])]
    columns = ["player_id", *FEATURE_SCHEMA, "is_quick_churn", "data_split"]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(labelled[columns], index=False).to_numpy().tobytes())
    # Where the artifact is written does not change what it is.
    fingerprint = {key: value for key, value in asdict(settings).items() if key != "artifact_dir"}
    digest.update(json.dumps([fingerprint, package_versions()], sort_keys=True).encode())
    return f"quick-churn-{cutoff[:7].replace('-', '')}-{digest.hexdigest()[:10]}", cutoff


def _slices(frame: pd.DataFrame) -> list[tuple[str, str, str, str, np.ndarray]]:
    """(data_split, slice_type, partner_id, geo, row mask): overall per split, then partner and
    partition slices of the test split."""
    out = []
    for split in ("train", "calibration", "test"):
        out.append((split, "overall", ALL, ALL, (frame["data_split"] == split).to_numpy()))
    test = frame["data_split"] == "test"
    for partner in sorted(frame.loc[test, "partner_id"].unique()):
        out.append(
            ("test", "partner", partner, ALL, (test & (frame["partner_id"] == partner)).to_numpy())
        )
    for partner, geo in sorted(
        set(zip(frame.loc[test, "partner_id"], frame.loc[test, "geo"], strict=True))
    ):
        mask = test & (frame["partner_id"] == partner) & (frame["geo"] == geo)
        out.append(("test", "partition", partner, geo, mask.to_numpy()))
    return out


def evaluation_rows(
    candidates: dict[str, QuickChurnClassifier],
    frame: pd.DataFrame,
    labels: np.ndarray,
    predictions: dict[str, np.ndarray],
    served: dict[str, pd.Series],
    settings: TrainingSettings,
) -> list[dict[str, Any]]:
    """One row per candidate and slice. Test slices get bootstrap intervals, drawn once per slice
    and shared by every candidate, so the AUC gains over the logistic baseline (same grain) and
    over the global model (same algorithm) are paired; training and calibration slices get point
    values only."""
    rows = []
    for split, slice_type, partner, geo, mask in _slices(frame):
        n_resamples = settings.bootstrap_samples if split == "test" else 0
        weights = bootstrap_weights(
            int(mask.sum()),
            n_resamples,
            stable_seed(settings.seed, split, slice_type, partner, geo),
        )
        results = {
            name: evaluate_slice(labels[mask], predictions[name][mask], weights)
            for name in candidates
        }
        for name, model in candidates.items():
            metrics, draws = results[name]
            row: dict[str, Any] = {
                "model_name": name,
                "algorithm": model.algorithm,
                "grain": model.grain,
                "data_split": split,
                "slice_type": slice_type,
                "partner_id": partner,
                "geo": geo,
                "served_by": served[name][mask].iloc[0] if slice_type == "partition" else None,
                "n_submodels": len(model.submodels_),
                "status": "ok",
                **metrics.as_dict(),
            }
            references = {
                "logistic": f"logistic_{model.grain}" if model.algorithm != "logistic" else None,
                "global": f"{model.algorithm}_global" if model.grain != "global" else None,
            }
            for suffix, reference in references.items():
                if split == "test" and reference in results:
                    gain = paired_difference(
                        metrics.roc_auc, results[reference][0].roc_auc, draws, results[reference][1]
                    )
                    row.update(
                        dict(
                            zip(
                                [
                                    f"roc_auc_gain_vs_{suffix}",
                                    f"roc_auc_gain_vs_{suffix}_lower",
                                    f"roc_auc_gain_vs_{suffix}_upper",
                                ],
                                gain,
                                strict=True,
                            )
                        )
                    )
            rows.append(row)
    return rows


def choose_default(evaluation: pd.DataFrame) -> str:
    """The default candidate. Algorithm, at the global grain: the boosted model only if its test
    AUC beats the logistic baseline's by more than the paired bootstrap interval (its lower bound
    above zero), else the baseline. Grain, for that algorithm: the finer grain with the best test
    AUC among those that beat the global model the same way, else global."""
    overall = evaluation[
        (evaluation["data_split"] == "test") & (evaluation["slice_type"] == "overall")
    ]
    overall = overall.set_index("model_name")
    algorithm = DEFAULT_ALGORITHM
    if (
        "boosted_global" in overall.index
        and overall.at["boosted_global", "roc_auc_gain_vs_logistic_lower"] > 0
    ):
        algorithm = "boosted"
    finer = overall[
        (overall["algorithm"] == algorithm)
        & (overall["grain"] != "global")
        & (overall["roc_auc_gain_vs_global_lower"] > 0)
    ]
    if len(finer):
        return str(finer["roc_auc"].idxmax())
    return f"{algorithm}_{DEFAULT_GRAIN}"


def _status_frame(message: str) -> pd.DataFrame:
    row = {
        "model_name": "none",
        "algorithm": None,
        "grain": None,
        "is_default": False,
        "data_split": "test",
        "slice_type": "overall",
        "partner_id": ALL,
        "geo": ALL,
        "n_players": 0,
        "n_quick_churners": 0,
        "n_submodels": 0,
        "status": message,
    }
    return _conform(pd.DataFrame([row]), EVALUATION_SCHEMA)


def train_and_evaluate(
    features: pd.DataFrame, labels: pd.DataFrame, settings: TrainingSettings
) -> pd.DataFrame:
    """Fits, calibrates and evaluates every candidate; saves the default as an artifact under
    `settings.artifact_dir`; returns the evaluation table (a status row if training is
    impossible)."""
    frame = training_frame(features, labels)
    splits = {
        split: frame[frame["data_split"] == split] for split in ("train", "calibration", "test")
    }
    if min(len(part) for part in splits.values()) == 0 or any(
        part["is_quick_churn"].nunique() < 2 for part in splits.values()
    ):
        sizes = ", ".join(f"{split} {len(part)}" for split, part in splits.items())
        return _status_frame(
            f"not trained: each split needs labelled players of both outcomes ({sizes})"
        )
    version, cutoff = model_version(frame, settings)
    evaluated = frame[frame["data_split"].isin(["train", "calibration", "test"])].reset_index(
        drop=True
    )
    labels_array = evaluated["is_quick_churn"].astype(int).to_numpy()
    train, calibration = splits["train"], splits["calibration"]

    candidates: dict[str, QuickChurnClassifier] = {}
    predictions: dict[str, np.ndarray] = {}
    served: dict[str, pd.Series] = {}
    for algorithm in settings.algorithms:
        cache: dict = {}
        for grain in settings.grains:
            name = f"{algorithm}_{grain}"
            try:
                model = settings.classifier(algorithm, grain).fit(
                    train,
                    train["is_quick_churn"].astype(int),
                    calibration,
                    calibration["is_quick_churn"].astype(int),
                    fit_cache=cache,
                )
            except ValueError as error:
                return _status_frame(f"not trained: {error}")
            scored = model.score(evaluated)
            candidates[name], predictions[name], served[name] = (
                model,
                scored["quick_churn_probability"].to_numpy(),
                scored["served_by"],
            )
    rows = evaluation_rows(candidates, evaluated, labels_array, predictions, served, settings)
    evaluation = pd.DataFrame(rows)
    default = choose_default(evaluation)
    evaluation["is_default"] = evaluation["model_name"] == default
    evaluation["model_version"] = version
    evaluation["data_cutoff"] = cutoff

    artifact = candidates[default]
    artifact.card.update(
        version=version,
        data_cutoff=cutoff,
        metrics=_card_metrics(evaluation, default),
        selection=_card_selection(evaluation, default),
    )
    # Absolute, so the table says where the artifact is whatever folder it is read from.
    path = (Path(settings.artifact_dir) / version).resolve()
    artifact.save(path)
    evaluation["artifact_path"] = np.where(evaluation["is_default"], str(path), None)
    return _conform(evaluation, EVALUATION_SCHEMA)


def _card_metrics(evaluation: pd.DataFrame, default: str) -> dict[str, dict[str, float]]:
    rows = evaluation[
        (evaluation["model_name"] == default) & (evaluation["slice_type"] == "overall")
    ]
    return {
        row["data_split"]: {column: _plain(row[column]) for column in METRIC_COLUMNS}
        for _, row in rows.iterrows()
    }


def _card_selection(evaluation: pd.DataFrame, default: str) -> dict[str, Any]:
    rows = evaluation[
        (evaluation["data_split"] == "test") & (evaluation["slice_type"] == "overall")
    ]
    return {
        "chosen": default,
        "rule": SELECTION_RULE,
        "candidates": {
            row["model_name"]: {
                column: _plain(row[column])
                for column in [
                    "roc_auc",
                    "roc_auc_lower",
                    "roc_auc_upper",
                    "log_loss",
                    "expected_calibration_error",
                    *GAIN_COLUMNS,
                    "n_submodels",
                ]
            }
            for _, row in rows.iterrows()
        },
    }


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy numbers to Python, NaN to None."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def default_artifact_path(evaluation: pd.DataFrame) -> str | None:
    """The saved default model's folder, from the evaluation table (None if nothing was trained)."""
    paths = evaluation.loc[evaluation["is_default"].astype(bool), "artifact_path"].dropna().unique()
    return str(paths[0]) if len(paths) else None


def score_players(
    features: pd.DataFrame, labels: pd.DataFrame, evaluation: pd.DataFrame
) -> pd.DataFrame:
    """Every player scored by the default artifact (loaded and verified from disk), with the label
    where it is known. Without a trained model the probability is null."""
    frame = training_frame(features, labels)
    path = default_artifact_path(evaluation)
    out = frame[
        [
            "player_id",
            "partner_id",
            "geo",
            "ftd_month",
            "product",
            "ben_login_id",
            "is_label_known",
            "is_quick_churn",
            "data_split",
            "decision_month",
        ]
    ].copy()
    if path is None:
        out["model_version"] = None
        return _conform(out, SCORES_SCHEMA)
    model = QuickChurnClassifier.load(path)
    out = out.join(model.score(frame))
    out["model_version"] = model.version
    return _conform(out, SCORES_SCHEMA)


def _conform(frame: pd.DataFrame, schema: list[tuple[str, str]]) -> pd.DataFrame:
    """Exactly the schema's columns, in order and of the declared dtypes (missing ones null)."""
    out = pd.DataFrame(index=frame.index)
    for column, dtype in schema:
        values = (
            frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        )
        if dtype == "int64":
            out[column] = values.fillna(0).astype("int64")
        elif dtype == "bool":
            out[column] = values.fillna(False).astype(bool)
        elif dtype == "date":
            out[column] = pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)
        elif dtype == "object":
            out[column] = values.astype(object).where(values.notna(), None)
        else:
            out[column] = values.astype(dtype)
    return out.reset_index(drop=True)
