"""The classifier package without the warehouse: feature preparation, grain routing, candidate
choice, training on synthetic frames, settings from dbt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.classifier import estimators
from churn.classifier.features import MISSING_LEVEL, FeatureSchemaError, prepare, signed_log
from churn.classifier.pipeline import (
    TrainingSettings,
    choose_default,
    score_players,
    train_and_evaluate,
)
from churn.classifier.synthetic import synthetic_features, synthetic_labels

SMALL = {"bootstrap_samples": 50, "min_train_players": 400, "min_calibration_players": 100}


@pytest.fixture(scope="module")
def synthetic():
    features = synthetic_features(2500, seed=2)
    return features, synthetic_labels(features, seed=2)


@pytest.fixture(scope="module")
def trained(synthetic, tmp_path_factory):
    features, labels = synthetic
    settings = TrainingSettings(artifact_dir=str(tmp_path_factory.mktemp("artifacts")), **SMALL)
    return train_and_evaluate(features, labels, settings), settings


def test_prepare_logs_money_and_keeps_missing_categories_as_a_level():
    frame = synthetic_features(20, seed=0)
    frame.loc[0, ["tracker_id", "decision_ngr"]] = [None, -99.0]
    inputs = prepare(frame)
    assert inputs.loc[0, "tracker_id"] == MISSING_LEVEL
    assert inputs.loc[0, "log_decision_ngr"] == pytest.approx(-np.log(100))
    assert inputs.loc[0, "partition_key"] == f"{frame.loc[0, 'partner_id']}|{frame.loc[0, 'geo']}"
    assert signed_log(pd.Series([0.0]))[0] == 0


def test_prepare_names_the_missing_columns():
    with pytest.raises(FeatureSchemaError, match="missing feature columns: geo, product"):
        prepare(synthetic_features(5).drop(columns=["geo", "product"]))


def test_rows_fall_back_from_partition_to_partner_to_global():
    partner = pd.Series(["P1", "P1", "P2", "P3"])
    partition = pd.Series(["P1|NJ", "P1|PA", "P2|NJ", "P3|NJ"])
    available = {"global", "partner=P1", "partner=P2", "partition=P1|NJ"}
    served = estimators.route(partner, partition, "partition", available)
    assert served.tolist() == ["partition=P1|NJ", "partner=P1", "partner=P2", "global"]
    assert estimators.route(partner, partition, "global", available).eq("global").all()


def _overall(rows):
    frame = pd.DataFrame(
        rows,
        columns=[
            "model_name",
            "algorithm",
            "grain",
            "roc_auc",
            "roc_auc_gain_vs_logistic_lower",
            "roc_auc_gain_vs_global_lower",
        ],
    )
    return frame.assign(data_split="test", slice_type="overall")


def test_boosted_is_default_only_when_its_gain_interval_is_above_zero():
    rows = [
        ["logistic_global", "logistic", "global", 0.760, None, None],
        ["boosted_global", "boosted", "global", 0.770, 0.002, None],
        ["boosted_partner", "boosted", "partner", 0.771, 0.001, -0.001],
    ]
    assert choose_default(_overall(rows)) == "boosted_global"
    rows[1][4] = -0.001  # the interval of the gain includes zero: the baseline stays
    assert choose_default(_overall(rows)) == "logistic_global"


def test_a_finer_grain_needs_a_gain_over_global_above_its_interval():
    rows = [
        ["logistic_global", "logistic", "global", 0.760, None, None],
        ["logistic_partner", "logistic", "partner", 0.770, None, 0.003],
        ["logistic_partition", "logistic", "partition", 0.780, None, -0.002],
    ]
    assert choose_default(_overall(rows)) == "logistic_partner"


def test_training_evaluates_every_candidate_on_every_slice(trained):
    evaluation, _ = trained
    overall = evaluation[evaluation["slice_type"] == "overall"]
    assert set(overall["model_name"]) == {
        f"{a}_{g}" for a in estimators.ALGORITHMS for g in estimators.GRAINS
    }
    assert (
        evaluation.groupby(["data_split", "slice_type", "partner_id", "geo"])["is_default"]
        .sum()
        .eq(1)
        .all()
    )
    test = overall[overall["data_split"] == "test"].set_index("model_name")
    assert (test["roc_auc_lower"] < test["roc_auc"]).all() and (
        test["roc_auc"] < test["roc_auc_upper"]
    ).all()
    assert test.loc["boosted_global", "roc_auc_gain_vs_logistic"] == pytest.approx(
        test.loc["boosted_global", "roc_auc"] - test.loc["logistic_global", "roc_auc"]
    )
    assert test["roc_auc"].min() > 0.7  # the synthetic signal is strong
    # Training and calibration slices carry point values only.
    assert overall.loc[overall["data_split"] != "test", "roc_auc_lower"].isna().all()


def test_training_is_deterministic(synthetic, trained, tmp_path):
    features, labels = synthetic
    first, settings = trained
    # Row order from the warehouse must not matter either.
    shuffled = features.sample(frac=1, random_state=3)
    second = train_and_evaluate(
        shuffled, labels, TrainingSettings(artifact_dir=str(tmp_path), **SMALL)
    )
    pd.testing.assert_frame_equal(
        first.drop(columns="artifact_path"), second.drop(columns="artifact_path")
    )
    version = first["model_version"].iloc[0]
    for name in ("model.skops", "model_card.json", "manifest.json"):
        original = (Path(settings.artifact_dir) / version / name).read_bytes()
        assert original == (tmp_path / version / name).read_bytes()


def test_scores_come_from_the_saved_artifact_with_labels_where_known(synthetic, trained):
    features, labels = synthetic
    evaluation, _ = trained
    scores = score_players(features, labels, evaluation)
    assert len(scores) == len(features) and scores["player_id"].is_unique
    assert scores["quick_churn_probability"].between(0, 1).all()
    assert scores["is_quick_churn"].isna().eq(~scores["is_label_known"]).all()
    assert (scores["model_version"] == evaluation["model_version"].iloc[0]).all()


def test_too_few_labelled_players_give_a_status_row_not_an_error(synthetic, tmp_path):
    features, labels = synthetic
    labels = labels.assign(
        data_split=np.where(labels["data_split"] == "test", "unlabelled", labels["data_split"])
    )
    evaluation = train_and_evaluate(features, labels, TrainingSettings(artifact_dir=str(tmp_path)))
    assert evaluation["model_name"].tolist() == ["none"]
    assert evaluation["status"].iloc[0].startswith("not trained: each split needs labelled players")
    scores = score_players(features, labels, evaluation)
    assert scores["quick_churn_probability"].isna().all()
    assert not any(tmp_path.iterdir())


def test_settings_read_what_dbt_renders():
    settings = TrainingSettings.from_meta(
        {
            "seed": "7",
            "risk_band_edges": "[0.4, 0.6, 0.9]",
            "bootstrap_samples": 100,
            "artifact_dir": "x",
            "decision_month": None,
        }
    )
    assert settings.seed == 7 and settings.bootstrap_samples == 100
    assert settings.risk_band_edges == (0.4, 0.6, 0.9) and settings.decision_month == 0
    assert TrainingSettings.from_meta({"risk_band_edges": [0.5]}).risk_band_edges == (0.5,)
