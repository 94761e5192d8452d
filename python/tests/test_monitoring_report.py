"""reports/monitoring.html: self-contained, well-formed, every figure embedded with a caption on
a warehouse with monitoring history, and every figure saying why it is missing on one without."""

from __future__ import annotations

import base64

import duckdb
import numpy as np
import pandas as pd
import pytest
from churn.frames import conform
from churn.monitoring.history import DRIFT_SCHEMA, ESTIMATES_SCHEMA, METRICS_SCHEMA
from churn.monitoring.registry import REGISTRY_SCHEMA
from churn.monitoring.summary import decision_point_cohorts, targets
from churn.report.monitoring import FIGURE_IDS, main
from test_report import PNG_SIGNATURE, ReportParser

CUTOFFS = pd.date_range("2024-01-01", periods=8, freq="MS")


def _history_tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    versions = [f"quick-churn-{c:%Y%m}-abc" for c in CUTOFFS]
    scores = pd.DataFrame(
        [
            {
                "data_cutoff": c.date(),
                "player_id": f"{c:%m}-{i}",
                "model_version": versions[k // 2 * 2],
                "data_split": "unlabelled" if i < 5 else "test",
                "quick_churn_probability": 0.4,
            }
            for k, c in enumerate(CUTOFFS)
            for i in range(10)
        ]
    )
    registry = conform(
        pd.DataFrame(
            {
                "registered_model": "churn-quick-churn",
                "registry_version": range(1, len(CUTOFFS) + 1),
                "model_version": versions,
                "data_cutoff": [c.date() for c in CUTOFFS],
                "status": ["retired"] * (len(CUTOFFS) - 1) + ["champion"],
                "is_champion": [False] * (len(CUTOFFS) - 1) + [True],
                "is_promoted": [k % 2 == 0 for k in range(len(CUTOFFS))],
                "decision_reason": "promoted: AUC +0.001",
                "champion_after": [versions[k // 2 * 2] for k in range(len(CUTOFFS))],
                "roc_auc": 0.75,
                "roc_auc_lower": 0.73,
                "roc_auc_upper": 0.77,
            }
        ),
        REGISTRY_SCHEMA,
    )
    metrics = conform(
        pd.DataFrame(
            {
                "data_cutoff": [c.date() for c in CUTOFFS[5:]],
                "evaluation_type": "prospective",
                "model_version": versions[0],
                "partner_id": "_all",
                "ftd_month": [c.date() for c in CUTOFFS[:3]],
                "scored_at_cutoff": [c.date() for c in CUTOFFS[:3]],
                "n_players": 500,
                "roc_auc": [0.74, 0.76, 0.75],
                "roc_auc_lower": 0.71,
                "roc_auc_upper": 0.79,
                "retrospective_roc_auc": 0.75,
                "retrospective_roc_auc_lower": 0.73,
                "retrospective_roc_auc_upper": 0.77,
                "retrospective_cohort_roc_auc_lower": 0.70,
                "retrospective_cohort_roc_auc_upper": 0.80,
            }
        ),
        METRICS_SCHEMA,
    )
    estimates = conform(
        pd.DataFrame(
            {
                "data_cutoff": [c.date() for c in CUTOFFS[:3]],
                "model_version": versions[0],
                "partner_id": "_all",
                "ftd_month": [c.date() for c in CUTOFFS[:3]],
                "n_players": 500,
                "estimated_roc_auc": [0.75, 0.74, 0.76],
                "estimated_roc_auc_sd": 0.02,
                "estimated_base_rate": 0.4,
                "is_realised": True,
                "realised_roc_auc": [0.74, 0.76, 0.75],
                "realised_base_rate": [0.41, 0.39, 0.42],
                "roc_auc_error": [0.01, -0.02, 0.01],
                "base_rate_error": -0.01,
            }
        ),
        ESTIMATES_SCHEMA,
    )
    drift = conform(
        pd.DataFrame(
            [
                {
                    "data_cutoff": c.date(),
                    "metric": "feature_psi",
                    "partner_id": partner,
                    "subject": feature,
                    "n_current": 300,
                    "n_reference": 3000,
                    "value": rng.uniform(0, 0.05) + (0.3 if k >= 5 and partner == "P01" else 0),
                    "threshold": 0.2,
                    "has_enough_players": True,
                    "is_alert": bool(k >= 5 and partner == "P01"),
                }
                for k, c in enumerate(CUTOFFS)
                for partner in ("_all", "P01", "P02")
                for feature in ("decision_deposit", "product")
            ]
            # A partner with a dozen reference players: a large PSI, too few players to judge.
            + [
                {
                    "data_cutoff": CUTOFFS[-1].date(),
                    "metric": "feature_psi",
                    "partner_id": "P09",
                    "subject": "tracker_id",
                    "n_current": 11,
                    "n_reference": 625,
                    "value": 3.0,
                    "threshold": 0.2,
                    "has_enough_players": False,
                    "is_alert": False,
                }
            ]
        ),
        DRIFT_SCHEMA,
    )
    return {
        "churn_score_history": scores,
        "churn_model_registry": registry,
        "churn_model_metrics_history": metrics,
        "churn_performance_estimates": estimates,
        "churn_drift": drift,
    }


def _render(tmp_path, tables: dict[str, pd.DataFrame], *options: str) -> tuple[ReportParser, str]:
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create table marts.{name} as select * from frame")
            connection.unregister("frame")
    assert main(["--database", str(database), "--out", str(tmp_path / "reports"), *options]) == 0
    document = (tmp_path / "reports" / "monitoring.html").read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(document)
    parser.close()
    return parser, document


def test_monitoring_report_embeds_every_figure_with_a_caption(tmp_path):
    parser, document = _render(tmp_path, _history_tables())
    assert parser.has_doctype and parser.errors == [] and parser.stack == []
    assert list(parser.figures) == list(FIGURE_IDS)
    for figure_id, figure in parser.figures.items():
        assert not figure["missing"], figure_id
        assert len(figure["images"]) == 1, figure_id
        source = figure["images"][0]
        assert source.startswith("data:image/png;base64,"), figure_id
        assert base64.b64decode(source.split(",", 1)[1])[:8] == PNG_SIGNATURE, figure_id
        assert len(figure["caption"].strip()) > 40, figure_id
    assert parser.external == []
    assert "http://" not in document and "https://" not in document
    assert "PSI P01.decision_deposit" in document
    # The largest PSI shown is the largest one resting on enough players.
    assert "P09" not in document


@pytest.mark.parametrize("missing", ["churn_drift", "churn_performance_estimates"])
def test_a_missing_table_leaves_a_note_instead_of_a_figure(tmp_path, missing):
    tables = _history_tables()
    del tables[missing]
    parser, _ = _render(tmp_path, tables)
    absent = [figure_id for figure_id, figure in parser.figures.items() if figure["missing"]]
    assert absent
    assert all(not parser.figures[figure_id]["images"] for figure_id in absent)


def test_the_shift_month_adds_the_drift_target(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "shifted").mkdir()
    _, without = _render(tmp_path / "plain", _history_tables())
    assert "drift warning" not in without
    _, document = _render(tmp_path / "shifted", _history_tables(), "--shift-month", "2024-06")
    assert "PSI alerts before: none; first from the shift: 2024-06 (cutoff 1)" in document


def test_a_shift_month_that_is_not_a_month_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--database", str(tmp_path / "none.duckdb"), "--shift-month", "2024-6"])
    assert stop.value.code == 2
    assert "a month is YYYY-MM, got '2024-6'" in capsys.readouterr().err


def test_a_cohorts_late_players_do_not_count_as_a_cohort_of_their_own():
    # Four players of the first cohort reached the export a cutoff late and were first scored
    # then: the history keeps them as a group of their own, whose AUC of 1.0 says nothing.
    tables = _history_tables()
    metrics = tables["churn_model_metrics_history"]
    late = metrics.iloc[[0]].assign(
        scored_at_cutoff=CUTOFFS[1].date(), n_players=4, roc_auc=1.0, roc_auc_lower=1.0
    )
    frames = {
        "metrics": pd.concat([metrics, late], ignore_index=True),
        "drift": tables["churn_drift"],
        "estimates": tables["churn_performance_estimates"],
    }
    stable = [t for t in targets(frames, None) if t.name.startswith("stable months")][0]
    assert stable.measured.startswith("3 of 3 matured cohorts inside") and stable.holds
    cohorts = decision_point_cohorts(frames["metrics"])
    assert len(cohorts) == 3 and (cohorts["n_players"] == 500).all()
