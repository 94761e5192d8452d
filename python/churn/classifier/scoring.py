"""Scoring with a saved artifact: every player of the warehouse (`churn_quick_scores`) and a new
partner export outside the warehouse build (`churn score`).

For a new export the features are computed by the same SQL as in the warehouse: the dbt project
runs on the export in a throw-away work folder (through `churn.warehouse`, the one dbt runner),
building only `int_classifier__features` and what it needs, with the artifact's decision month.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from churn.artifact import ArtifactError
from churn.classifier.features import FeatureSchemaError
from churn.classifier.model import QuickChurnClassifier, load_quick_churn_model
from churn.classifier.training import (
    SCORES_SCHEMA,
    TrainingSettings,
    conform,
    default_artifact_path,
    training_frame,
)
from churn.warehouse import dbt_errors, run_dbt

logger = logging.getLogger(__name__)

FEATURES_MODEL = "int_classifier__features"
OUTPUT_COLUMNS = ["player_id", "partner_id", "geo", "account_id", "ftd_month"]
ARTIFACT_DIR_ENV = "CHURN_ARTIFACT_DIR"
DEFAULT_ARTIFACT_DIR = TrainingSettings.artifact_dir
# The documented character set of a partner id (the same rule the dbt var follows).
PARTNER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ScoreError(Exception):
    """Scoring cannot go on; the message says why and what to do."""


def split_of_cohorts(model: QuickChurnClassifier, ftd_month: pd.Series) -> pd.Series:
    """`train`, `gap`, `test` or `unlabelled` per FTD month, from the cohorts the card lists."""
    months = pd.to_datetime(ftd_month)
    split = pd.Series("unlabelled", index=ftd_month.index, dtype=object)
    cohorts = model.card_.get("cohorts", {})
    for name in ("train", "gap", "test"):
        window = cohorts.get(name) or {}
        if window.get("first"):
            inside = months.between(pd.Timestamp(window["first"]), pd.Timestamp(window["last"]))
            split[inside] = name
    return split


def score_players(
    features: pd.DataFrame, labels: pd.DataFrame, evaluation: pd.DataFrame, jobs: int = 1
) -> pd.DataFrame:
    """Every player scored by the artifact the evaluation saved (loaded and verified from disk,
    predicting on `jobs` threads), with the label where it is known and the window of its
    cohort. No artifact (a too-short export built with classifier_short_history: skip): no
    rows."""
    path = default_artifact_path(evaluation)
    if path is None:
        empty = pd.DataFrame(columns=[name for name, _ in SCORES_SCHEMA])
        return _typed_empty(conform(empty, SCORES_SCHEMA))
    frame = training_frame(features, labels)
    model = load_quick_churn_model(path, n_jobs=jobs)
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
            "decision_month",
        ]
    ].copy()
    out = out.join(model.score_frame(frame))
    out["data_split"] = split_of_cohorts(model, frame["ftd_month"]).where(
        frame["is_label_known"].astype(bool), "unlabelled"
    )
    holdout_path = default_artifact_path(evaluation, "holdout_artifact_path")
    in_test = (out["data_split"] == "test").to_numpy()
    if holdout_path is not None and in_test.any():
        holdout = load_quick_churn_model(holdout_path, n_jobs=jobs)
        out.loc[in_test, "holdout_probability"] = holdout.predict_proba(frame[in_test])[:, 1]
    out["model_version"] = model.card_["version"]
    logger.info("scored %d players with %s", len(out), model.card_["version"])
    return conform(out, SCORES_SCHEMA)


def _typed_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """An empty frame whose text and date columns keep their types in the warehouse (an empty
    object column would become a NULL-typed one that typed tests cannot compare)."""
    out = frame.copy()
    for column, dtype in SCORES_SCHEMA:
        if dtype == "object":
            out[column] = out[column].astype("string")
        elif dtype == "date":
            out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
    return out


# Scoring a new export -------------------------------------------------------------------------


def artifact_folder() -> Path:
    """Where artifacts are saved: env CHURN_ARTIFACT_DIR, else `artifacts`."""
    return Path(os.environ.get(ARTIFACT_DIR_ENV) or DEFAULT_ARTIFACT_DIR)


def resolve_model(model: str | Path | None) -> tuple[Path, str | None]:
    """(location, version) for `--model`: nothing means the CURRENT artifact of the artifact
    folder; a folder path means that artifact (or that folder's CURRENT); a bare name means that
    version in the artifact folder."""
    if model is None or str(model) == "":
        return artifact_folder(), None
    path = Path(model)
    if path.exists() or os.sep in str(model):
        return path, None
    return artifact_folder(), str(model)


def export_columns(path: str) -> list[str]:
    """The column names of one export file (CSV or Parquet), read with DuckDB's sniffer."""
    reader = duckdb.read_parquet if path.lower().endswith(".parquet") else duckdb.read_csv
    try:
        return list(reader(path).columns)
    except duckdb.Error as error:
        raise ScoreError(f"cannot read {path}: {str(error).splitlines()[0]}") from error


def check_partner_id(files: list[str], partner_id: str | None) -> None:
    """A file without a partner_id column needs --partner-id (never a silent default), and a
    given partner id must be of the documented character set."""
    if partner_id is not None and not PARTNER_ID_PATTERN.match(partner_id):
        raise ScoreError(
            f"--partner-id {partner_id[:40]!r} is not a partner id "
            "(1 to 64 letters, digits, _ or -)"
        )
    without = [path for path in files if "partner_id" not in export_columns(path)]
    if without and partner_id is None:
        raise ScoreError(
            f"{without[0]} has no partner_id column: pass --partner-id (the partner this export "
            "belongs to)"
        )


def build_features(export: str, workdir: Path, variables: dict) -> pd.DataFrame:
    """`dbt build --select +int_classifier__features` on the export in `workdir` (through the
    package's one dbt runner); returns the features table."""
    run = run_dbt(
        [
            "build",
            "--select",
            f"+{FEATURES_MODEL}",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
        workdir,
        {"raw_activity_path": export, **variables},
    )
    if run.returncode != 0:
        raise ScoreError(
            "dbt could not build the features of this export:\n" + dbt_errors(run.output)
        )
    return run.frame(f"select * from intermediate.{FEATURES_MODEL}")


def score_export(
    model: str | Path | None,
    export: str,
    out: Path,
    partner_id: str | None = None,
    export_month: str | None = None,
    workdir: Path | None = None,
) -> pd.DataFrame:
    """Scores every player of `export` past the decision point with the artifact `model` (see
    resolve_model), writes `out` (.csv or .parquet) and returns the scores."""
    out = Path(out)
    if out.suffix not in (".csv", ".parquet"):
        raise ScoreError(f"--out must end in .csv or .parquet, got {out.name}")
    location, version = resolve_model(model)
    artifact = load_quick_churn_model(location, version)
    # dbt runs in the project folder: a relative path must not be read from there.
    absolute = os.path.join(os.getcwd(), export)
    files = sorted(glob.glob(absolute))
    if not files:
        raise ScoreError(f"no export file matches {export}")
    check_partner_id(files, partner_id)
    label = artifact.card_["label"]
    variables: dict = {
        "decision_month": label["decision_month"],
        "quick_churn_months": label["quick_churn_months"],
        "churn_inactive_months": label["churn_inactive_months"],
    }
    if partner_id:
        variables["partner_id"] = partner_id
    if export_month:
        variables["export_month"] = export_month
    logger.info("building the features of %s (%d files)", export, len(files))
    with tempfile.TemporaryDirectory(prefix="churn-score-") as temporary:
        features = build_features(absolute, Path(workdir or temporary), variables)
    features = features.sort_values("player_id", kind="mergesort").reset_index(drop=True)
    try:
        scores = features[OUTPUT_COLUMNS].join(artifact.score_frame(features))
    except FeatureSchemaError as error:
        raise ArtifactError(f"the artifact cannot score these features: {error}") from error
    scores["model_version"] = artifact.card_["version"]
    scores["decision_month"] = label["decision_month"]
    scores["ftd_month"] = pd.to_datetime(scores["ftd_month"]).dt.date
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        scores.to_csv(out, index=False)
    else:
        scores.to_parquet(out, index=False)
    logger.info("scored %d players -> %s", len(scores), out)
    return scores
