"""The one place monitoring touches the classifier's artifact API: load a verified artifact,
read its version, cutoff and card, and score a frame of raw feature columns. When the artifact
API changes, only this module follows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churn.artifact import ArtifactError, set_current
from churn.classifier.model import load_quick_churn_model

__all__ = ["ArtifactError", "card", "data_cutoff", "load", "probabilities", "score", "version"]


def load(path: str | Path, jobs: int = 1) -> Any:
    """The artifact at `path`, verified (raises ArtifactError when it cannot be trusted),
    predicting on `jobs` threads."""
    return load_quick_churn_model(path, n_jobs=jobs)


def card(model: Any) -> dict[str, Any]:
    return model.card_


def version(model: Any) -> str:
    return str(card(model)["version"])


def data_cutoff(model: Any) -> str:
    return str(card(model)["data_cutoff"])


def score(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """`quick_churn_probability`, `risk_band`, `served_by` per row of raw feature columns."""
    return model.score_frame(frame)


def probabilities(model: Any, frame: pd.DataFrame) -> np.ndarray:
    return score(model, frame)["quick_churn_probability"].to_numpy(dtype=float)


def point_current_at(artifact_path: str | Path) -> None:
    """Points the artifact folder's CURRENT pointer (what `churn score` uses by default) at the
    champion's artifact."""
    path = Path(artifact_path)
    set_current(path.parent, path.name)
