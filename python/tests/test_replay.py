"""A short replay of the tiny simulated export (3 monthly cutoffs, the third with a partner's
export format change): the history tables, idempotence through a rebuild and a --full-refresh,
the quarantine alert, and the champion loaded from the MLflow registry."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from churn.monitoring.replay import replay, verify
from churn.monitoring.scenario import shifted_export

START, END, CHANGE = "2024-06", "2024-08", "2024-08"
# Fewer bootstrap resamples and CV folds than a real build: the replay's facts (history, alerts,
# champion, idempotence) do not depend on them, and each of the five builds trains the classifier.
VARIABLES = {
    "monitoring_quarantine_min_trailing_cutoffs": 2,
    "classifier_bootstrap_samples": 100,
    "classifier_cv_folds": 2,
}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    export, partner = shifted_export(
        folder / "export.csv.gz", shift_month="2024-07", format_change_month=CHANGE
    )
    workdir = folder / "warehouse"
    lines: list[str] = []
    results = replay(
        str(export), START, END, workdir, VARIABLES, with_survival=False, progress=lines.append
    )
    return export, partner, workdir, results, lines


def _frame(workdir, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(workdir / "churn.duckdb"), read_only=True) as connection:
        return connection.sql(sql).df()


def test_progress_is_reported_per_month(replayed):
    *_, results, lines = replayed
    assert [result.month for result in results] == ["2024-06", "2024-07", "2024-08"]
    assert len(lines) == 3 and lines[0].startswith("[1/3] 2024-06")


def test_every_cutoff_is_in_the_history_once(replayed):
    _, _, workdir, _, _ = replayed
    counts = _frame(
        workdir,
        """
        select data_cutoff, count(*) as n, count(distinct player_id) as players
        from marts.churn_score_history group by data_cutoff order by data_cutoff""",
    )
    assert [str(c)[:7] for c in counts["data_cutoff"]] == ["2024-06", "2024-07", "2024-08"]
    assert (counts["n"] == counts["players"]).all()
    # Each month adds the players who reached their decision point.
    assert counts["n"].is_monotonic_increasing
    retro = _frame(
        workdir,
        """select distinct data_cutoff from marts.churn_model_metrics_history
        where evaluation_type = 'retrospective'""",
    )
    assert len(retro) == 3
    drift = _frame(workdir, "select distinct data_cutoff from marts.churn_drift")
    assert len(drift) == 3


def test_scores_come_from_the_champion_serving_at_each_cutoff(replayed):
    _, _, workdir, _, _ = replayed
    served = _frame(
        workdir,
        """select data_cutoff, min(model_version) as first,
        max(model_version) as last from marts.churn_score_history group by data_cutoff""",
    )
    registry = _frame(workdir, "select * from marts.churn_model_registry")
    assert (served["first"] == served["last"]).all()
    for row in served.itertuples():
        decided = registry[pd.to_datetime(registry["data_cutoff"]) <= pd.Timestamp(row.data_cutoff)]
        latest = decided.sort_values(["data_cutoff", "registry_version"]).iloc[-1]
        assert row.first == latest["champion_after"]
    assert registry["is_champion"].sum() == 1


def test_a_format_change_raises_the_quarantine_alert(replayed):
    _, partner, workdir, results, _ = replayed
    assert [r.alerts for r in results[:2]] == [[], []]
    assert "alert_quarantine_share_above_trailing_median" in results[2].alerts
    alerts = _frame(
        workdir,
        """select data_cutoff, partner_id, subject from marts.churn_drift
        where metric = 'quarantine_share' and is_alert""",
    )
    assert set(zip(alerts["partner_id"], alerts["subject"], strict=True)) == {
        (partner, "unparseable_amount")
    }
    assert {str(c)[:7] for c in alerts["data_cutoff"]} == {CHANGE}


def test_the_champion_loads_from_mlflow_with_the_same_probabilities(replayed):
    mlflow = pytest.importorskip("mlflow")
    _, _, workdir, _, _ = replayed
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'artifacts' / 'mlflow.db'}")
    registry = _frame(workdir, "select * from marts.churn_model_registry where is_champion")
    model = mlflow.pyfunc.load_model(f"models:/{registry['registered_model'].iloc[0]}@champion")
    features = _frame(workdir, "select * from intermediate.int_classifier__features")
    served = _frame(
        workdir,
        "select player_id, quick_churn_probability, model_version from marts.churn_quick_scores",
    )
    predicted = model.predict(features)
    merged = (
        features[["player_id"]]
        .assign(mlflow=predicted["quick_churn_probability"].to_numpy())
        .merge(served, on="player_id")
    )
    assert (merged["model_version"] == registry["model_version"].iloc[0]).all()
    np.testing.assert_allclose(
        merged["mlflow"], merged["quick_churn_probability"], rtol=0, atol=1e-12
    )


def test_replaying_a_month_and_full_refresh_leave_the_history_unchanged(replayed):
    export, _, workdir, _, _ = replayed
    lines: list[str] = []
    assert verify(
        str(export), END, workdir, VARIABLES, with_survival=False, progress=lines.append
    ), "\n".join(lines)
