"""The classifier in the warehouse: labels, windows and features on the bundled sample build, the
signed artifact it saves and points CURRENT at, and `python -m churn score` on a small export cut
from the sample, which must give the features and probabilities the warehouse gave (no leakage
from later months)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.artifact import MODEL_FILE, current_version
from churn.classifier.features import FEATURE_SCHEMA
from churn.classifier.model import load_quick_churn_model
from churn.classifier.scoring import score_export
from dbt_harness import PROJECT_DIR, DbtRun, run_dbt

CUTOFF = "2022-06-01"
PARTNER = "P01"


def frame(run: DbtRun, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(run.database), read_only=True) as connection:
        return connection.sql(sql).df()


@pytest.fixture(scope="module")
def artifact_path(sample_build) -> Path:
    rows = sample_build.query(
        "select distinct artifact_path from marts.churn_classifier_evaluation where is_default"
    )
    assert len(rows) == 1, rows
    return Path(rows[0][0])


@pytest.fixture(scope="module")
def earlier_export(tmp_path_factory) -> Path:
    """P01's rows as its export would have looked at CUTOFF: later months absent and a first bet
    after the cutoff not yet known (the simulator leaves qp_date empty in that case)."""
    raw = pd.read_csv(PROJECT_DIR / "data/sample/activity.csv.gz", dtype=str, keep_default_na=False)
    month = pd.to_datetime(raw["activity_month"], format="%Y-%m-%d", errors="coerce")
    cut = raw[(raw["partner_id"] == PARTNER) & month.le(CUTOFF)].copy()
    first_bet = pd.to_datetime(cut["qp_date"], format="%Y-%m-%d", errors="coerce")
    cut.loc[first_bet >= pd.Timestamp(CUTOFF) + pd.offsets.MonthBegin(1), "qp_date"] = ""
    path = tmp_path_factory.mktemp("earlier") / "export.csv"
    cut.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cli_run(artifact_path, earlier_export, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("score")
    out = workdir / "scores.parquet"
    scores = score_export(
        artifact_path, str(earlier_export), out, export_month=CUTOFF, workdir=workdir / "warehouse"
    )
    features = DbtRun(0, "", workdir / "warehouse" / "churn.duckdb")
    return scores, frame(features, "select * from intermediate.int_classifier__features"), out


def test_young_players_are_never_labelled(sample_build):
    ((young_labelled,),) = sample_build.query("""
        select count(*) from intermediate.int_classifier__labels
        where followup_months < quick_churn_months - 1 + churn_inactive_months
            and (is_label_known or is_quick_churn is not null)""")
    assert young_labelled == 0
    ((young_in_a_window,),) = sample_build.query("""
        select count(*) from marts.churn_quick_scores
        where (data_split = 'unlabelled') <> (not is_label_known)""")
    assert young_in_a_window == 0
    # Young players already seen churning quickly stay unlabelled too.
    ((young_churned,),) = sample_build.query("""
        select count(*) from intermediate.int_classifier__labels
        where not is_label_known and is_churned and survival_months <= quick_churn_months""")
    assert young_churned > 0


def test_windows_are_out_of_time_with_the_maturation_gap(sample_build):
    cohorts = dict(
        (split, (first, last, n))
        for split, first, last, n in sample_build.query("""
        select data_split, min(ftd_month), max(ftd_month), count(distinct ftd_month)
        from marts.churn_quick_scores group by data_split""")
    )
    assert cohorts["train"][1] < cohorts["gap"][0]
    assert cohorts["gap"][1] < cohorts["test"][0]
    assert cohorts["test"][1] < cohorts["unlabelled"][0]
    assert cohorts["gap"][2] == 5 and cohorts["test"][2] == 12
    ((cv_last, test_first),) = sample_build.query("""
        select max(case when data_split = 'cv' then last_cohort end),
               min(case when data_split = 'test' then first_cohort end)
        from marts.churn_classifier_evaluation""")
    assert cv_last == cohorts["train"][1] and test_first == cohorts["test"][0]


def test_features_come_from_the_decision_window(sample_build):
    checks = frame(
        sample_build,
        """
        select features.decision_deposit, lifetimes.first_month_deposit, features.has_first_bet,
               lifetimes.qp_date, lifetimes.ftd_month
        from intermediate.int_classifier__features as features
        inner join marts.fct_player_lifetimes as lifetimes using (player_id)""",
    )
    assert np.allclose(checks["decision_deposit"], checks["first_month_deposit"].astype(float))
    month_end = checks["ftd_month"] + pd.offsets.MonthBegin(1)
    later_bet = checks["qp_date"].notna() & (checks["qp_date"] >= month_end)
    assert later_bet.sum() > 100  # the guard is exercised ...
    assert not checks.loc[later_bet, "has_first_bet"].any()  # ... and holds


def test_the_build_saves_a_verified_default_artifact_and_scores_everyone(
    sample_build, artifact_path
):
    model = load_quick_churn_model(artifact_path)
    assert current_version(artifact_path.parent) == artifact_path.name
    ((version, n_scored, n_features, n_null),) = sample_build.query("""
        select max(model_version), count(*),
               (select count(*) from intermediate.int_classifier__features),
               count(*) - count(quick_churn_probability)
        from marts.churn_quick_scores""")
    assert version == model.card_["version"] == artifact_path.name
    assert n_scored == n_features and n_null == 0
    assert set(model.card_["metrics"]) == {"cv", "test"}
    assert model.card_["metrics"]["test"]["roc_auc"] > 0.7
    # The served model saw every labelled cohort, the newest test cohort included.
    ((last_labelled,),) = sample_build.query(
        "select max(ftd_month) from intermediate.int_classifier__labels where is_label_known"
    )
    assert model.card_["cohorts"]["served_model_fitted_on"]["last"] == f"{last_labelled}"
    parquet = list(
        (sample_build.database.parent / "exports/churn_quick_scores").glob(
            "partner_id=*/geo=*/*.parquet"
        )
    )
    assert {path.parent.parent.name for path in parquet} == {
        f"partner_id=P0{i}" for i in range(1, 6)
    }


def test_features_do_not_change_when_later_months_arrive(sample_build, cli_run):
    _, earlier, _ = cli_run
    later = frame(sample_build, "select * from intermediate.int_classifier__features")
    both = earlier.merge(later, on="player_id", suffixes=("_earlier", "_later"))
    assert len(both) > 0.95 * len(earlier) and len(earlier) > 500
    for column in FEATURE_SCHEMA:
        left, right = both[f"{column}_earlier"], both[f"{column}_later"]
        same = (left == right) | (left.isna() & right.isna())
        if pd.api.types.is_float_dtype(left):
            same |= np.isclose(left.astype(float), right.astype(float), rtol=1e-12)
        assert same.all(), f"{column} differs for {int((~same).sum())} players"


def test_score_cli_gives_the_warehouse_probabilities(sample_build, cli_run, artifact_path):
    scores, _, out = cli_run
    assert pd.read_parquet(out)["quick_churn_probability"].equals(scores["quick_churn_probability"])
    warehouse = frame(
        sample_build,
        "select player_id, quick_churn_probability, risk_band from marts.churn_quick_scores",
    )
    both = scores.merge(warehouse, on="player_id", suffixes=("_cli", "_warehouse"))
    assert len(both) > 0.95 * len(scores)
    assert np.allclose(
        both["quick_churn_probability_cli"],
        both["quick_churn_probability_warehouse"],
        rtol=1e-12,
        atol=0,
    )
    assert (both["risk_band_cli"] == both["risk_band_warehouse"]).all()


def _score(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "churn", "score", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
    )


def test_score_cli_refuses_bad_input_with_a_clear_message(artifact_path, earlier_export, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(artifact_path, tampered)
    with (tampered / MODEL_FILE).open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    unsigned = tmp_path / "unsigned"
    shutil.copytree(artifact_path, unsigned)
    (unsigned / "manifest.sig").unlink()
    no_partner = tmp_path / "no_partner.csv"
    raw = pd.read_csv(earlier_export, dtype=str)
    raw.drop(columns="partner_id").to_csv(no_partner, index=False)
    cases = [
        (
            [
                "--model",
                str(tampered),
                "--input",
                str(earlier_export),
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "model.skops does not match its manifest",
        ),
        (
            [
                "--model",
                str(unsigned),
                "--input",
                str(earlier_export),
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "is not signed",
        ),
        (
            [
                "--model",
                str(artifact_path),
                "--input",
                str(no_partner),
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "has no partner_id column: pass --partner-id",
        ),
        (
            [
                "--model",
                str(artifact_path),
                "--input",
                str(earlier_export),
                "--partner-id",
                "H' || 'X",
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "is not a partner id",
        ),
        (
            [
                "--model",
                str(tmp_path),
                "--input",
                str(earlier_export),
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "neither a model artifact nor a folder with a CURRENT pointer",
        ),
        (
            [
                "--model",
                str(artifact_path),
                "--input",
                str(tmp_path / "nope.csv"),
                "--out",
                str(tmp_path / "a.csv"),
            ],
            "no export file matches",
        ),
        (
            [
                "--model",
                str(artifact_path),
                "--input",
                str(earlier_export),
                "--out",
                str(tmp_path / "a.txt"),
            ],
            "must end in .csv or .parquet",
        ),
    ]
    for args, message in cases:
        completed = _score(*args)
        assert completed.returncode == 2, completed.stderr
        assert message in completed.stderr and "Traceback" not in completed.stderr


def test_score_cli_reports_an_export_dbt_rejects(artifact_path, earlier_export, tmp_path):
    broken = tmp_path / "broken.csv"
    pd.read_csv(earlier_export, dtype=str).drop(columns="ftd_date").to_csv(broken, index=False)
    completed = _score(
        "--model", str(artifact_path), "--input", str(broken), "--out", str(tmp_path / "a.csv")
    )
    assert completed.returncode == 2
    assert "missing required column(s): ftd_date" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_score_cli_takes_the_current_artifact_by_default_or_a_version_by_name(
    sample_build, artifact_path, earlier_export, tmp_path
):
    env = {**os.environ, "CHURN_ARTIFACT_DIR": str(artifact_path.parent)}
    by_default = _score(
        "--input",
        str(earlier_export),
        "--export-month",
        CUTOFF,
        "--out",
        str(tmp_path / "a.parquet"),
        env=env,
    )
    assert by_default.returncode == 0, by_default.stderr
    by_name = _score(
        "--model",
        artifact_path.name,
        "--input",
        str(earlier_export),
        "--export-month",
        CUTOFF,
        "--out",
        str(tmp_path / "b.parquet"),
        env=env,
    )
    assert by_name.returncode == 0, by_name.stderr
    first, second = (pd.read_parquet(tmp_path / name) for name in ("a.parquet", "b.parquet"))
    assert (first["model_version"] == artifact_path.name).all() and first.equals(second)


def test_a_too_short_export_stops_the_build_saying_how_many_cohorts_it_has(tmp_path):
    """Eight months of one partner: 3 labelled cohorts, 7 needed. The build fails in the
    classifier with that sentence (never null scores with a green build)."""
    raw = pd.read_csv(PROJECT_DIR / "data/sample/activity.csv.gz", dtype=str, keep_default_na=False)
    month = pd.to_datetime(raw["activity_month"], format="%Y-%m-%d", errors="coerce")
    ftd = pd.to_datetime(raw["ftd_date"], format="%Y-%m-%d", errors="coerce")
    keep = (raw["partner_id"] == PARTNER) & month.between("2024-05-01", "2024-12-01")
    export = tmp_path / "short.csv"
    raw[keep & ftd.ge("2024-05-01")].to_csv(export, index=False)
    run = run_dbt(
        ["build", "--select", "+churn_quick_scores", "--exclude-resource-type", "unit_test"],
        tmp_path / "warehouse",
        {"raw_activity_path": str(export)},
    )
    assert run.returncode != 0
    assert "needs at least 7 labelled FTD cohorts" in run.output
    assert "this export has 3 (2024-05..2024-07)" in run.output
