"""Scoring a new partner export with a saved artifact, outside a dbt build of the warehouse
(`python -m churn score`).

The features are computed by the same SQL as in the warehouse: the dbt project runs on the export
in a throw-away DuckDB file, building only `int_classifier__features` and what it needs, with the
artifact's decision month. The verified artifact then scores every player past the decision point.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from churn.artifact import QuickChurnClassifier
from churn.project import project_dir

PROJECT_DIR = project_dir()
FEATURES_MODEL = "int_classifier__features"
OUTPUT_COLUMNS = ["player_id", "partner_id", "geo", "account_id", "ftd_month"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")


class ScoreError(Exception):
    """Scoring cannot go on; the message says why and what to do."""


def build_features(export: str, workdir: Path, variables: dict, project_dir: Path) -> pd.DataFrame:
    """Runs `dbt build --select +int_classifier__features` on the export in `workdir` and returns
    the features table."""
    if not (project_dir / "dbt_project.yml").is_file():
        raise ScoreError(f"no dbt project at {project_dir} (pass --project-dir)")
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.is_file():
        raise ScoreError(f"dbt is not installed beside {sys.executable}")
    database = workdir / "features.duckdb"
    (workdir / "exports").mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        CHURN_DUCKDB_PATH=str(database),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        CHURN_EXPORT_ROOT=str(workdir / "exports"),
    )
    command = [
        str(dbt),
        "build",
        "--select",
        f"+{FEATURES_MODEL}",
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--vars",
        json.dumps({"raw_activity_path": export, **variables}),
    ]
    completed = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise ScoreError(
            "dbt could not build the features of this export:\n"
            + _dbt_errors(completed.stdout + completed.stderr)
        )
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(f"select * from intermediate.{FEATURES_MODEL}").df()


def _dbt_errors(output: str) -> str:
    """dbt's own summary of what failed (the lines after "Completed with N errors"), without
    colours, timestamps and macro call chains; the log's tail when there is no summary."""
    lines = [TIMESTAMP.sub("", line).rstrip() for line in ANSI.sub("", output).splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Completed with")]
    summary = lines[starts[-1] + 1 :] if starts else lines[-12:]
    kept = [line.strip() for line in summary if line.strip() and not line.strip().startswith(">")]
    return "\n".join(f"  {line}" for line in kept[:20])


def score_export(
    model: Path,
    export: str,
    out: Path,
    partner_id: str | None = None,
    export_month: str | None = None,
    project_dir: Path = PROJECT_DIR,
    workdir: Path | None = None,
) -> pd.DataFrame:
    """Scores every player of `export` that is past the decision point with the artifact at
    `model`, writes `out` (.csv or .parquet) and returns the scores."""
    if out.suffix not in (".csv", ".parquet"):
        raise ScoreError(f"--out must end in .csv or .parquet, got {out.name}")
    artifact = QuickChurnClassifier.load(model)
    if not glob.glob(export):
        raise ScoreError(f"no export file matches {export}")
    label = artifact.card["label"]
    variables = {
        "decision_month": label["decision_month"],
        "quick_churn_months": label["quick_churn_months"],
        "churn_inactive_months": label["churn_inactive_months"],
    }
    if partner_id:
        variables["partner_id"] = partner_id
    if export_month:
        variables["export_month"] = export_month
    with tempfile.TemporaryDirectory(prefix="churn-score-") as temporary:
        # dbt runs in the project folder: a relative path must not be read from there.
        absolute = os.path.join(os.getcwd(), export)
        features = build_features(absolute, Path(workdir or temporary), variables, project_dir)
    features = features.sort_values("player_id", kind="mergesort").reset_index(drop=True)
    scores = features[OUTPUT_COLUMNS].join(artifact.score(features))
    scores["model_version"] = artifact.version
    scores["decision_month"] = label["decision_month"]
    scores["ftd_month"] = pd.to_datetime(scores["ftd_month"]).dt.date
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        scores.to_csv(out, index=False)
    else:
        scores.to_parquet(out, index=False)
    return scores
