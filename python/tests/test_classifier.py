"""The classifier package without the warehouse: feature preparation, the estimator contract,
grain routing, windows sized to the data, selection without the test cohorts, the refit that is
served, settings from dbt."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.artifact import current_version
from churn.classifier import estimators
from churn.classifier.features import (
    CATEGORY_CODING,
    MISSING_LEVEL,
    FeatureSchemaError,
    category_code,
    category_text,
    prepare,
    prepare_for_model,
    signed_log,
)
from churn.classifier.metrics import weighted_roc_auc
from churn.classifier.model import QuickChurnClassifier
from churn.classifier.scoring import score_players
from churn.classifier.training import (
    DEFAULT_CANDIDATES,
    HOLDOUT_FOLDER,
    InsufficientHistoryError,
    TrainingSettings,
    choose_algorithm,
    choose_grain,
    plan_windows,
    train_and_evaluate,
)
from classifier_synthetic import synthetic_features, synthetic_labels
from sklearn.base import clone

LABEL = {"quick_churn_months": 3, "churn_inactive_months": 3, "decision_month": 0}
SMALL = {**LABEL, "bootstrap_samples": 50, "min_submodel_players": 400, "max_test_cohorts": 6}


def months(first: str, n: int) -> list[pd.Timestamp]:
    return list(pd.date_range(first, periods=n, freq="MS"))


@pytest.fixture(scope="module")
def synthetic():
    features = synthetic_features(3000, seed=2)
    return features, synthetic_labels(features, seed=2)


@pytest.fixture(scope="module")
def trained(synthetic, tmp_path_factory):
    features, labels = synthetic
    settings = TrainingSettings(artifact_dir=str(tmp_path_factory.mktemp("artifacts")), **SMALL)
    return train_and_evaluate(features, labels, settings), settings


def test_prepare_logs_money_and_keeps_missing_categories_as_a_level():
    frame = synthetic_features(20, seed=0)
    frame.loc[0, ["tracker_id", "decision_ngr"]] = [None, -99.0]
    frame.loc[1, "tracker_id"] = "  "
    inputs = prepare(frame)
    missing = category_code(MISSING_LEVEL)
    assert inputs.loc[0, "tracker_id"] == inputs.loc[1, "tracker_id"] == missing
    assert inputs.loc[0, "log_decision_ngr"] == pytest.approx(-np.log(100))
    key = f"{frame.loc[0, 'partner_id']}|{frame.loc[0, 'geo']}"
    assert prepare_for_model(frame).partition_key[0] == key
    assert inputs.loc[0, "partition_key"] == category_code(key)
    assert signed_log(pd.Series([0.0]))[0] == 0


def test_category_codes_are_fixed_per_text_and_exact_as_floats():
    frame = synthetic_features(200, seed=0)
    inputs = prepare(frame)
    # The same text gets the same code in any frame, alone or among others, and in any process:
    # the coding CATEGORY_CODING names (an artifact fitted on other codes is refused).
    assert prepare(frame.iloc[[5]])["tracker_id"].iloc[0] == inputs["tracker_id"].iloc[5]
    # Artifacts depend on this value: a change of coding needs a new CATEGORY_CODING.
    assert category_code("P07") == 676170753259294 and CATEGORY_CODING == "blake2b-52"
    columns = ("geo", "product", "tracker_id", "partner_id")
    texts = {column: category_text(frame[column]) for column in columns}
    texts["partition_key"] = prepare_for_model(frame).partition_key
    for column, text in texts.items():
        codes = inputs[column]
        assert codes.dtype == np.int64 and (codes.astype(float).astype(np.int64) == codes).all()
        assert codes.nunique() == text.nunique()  # one code per distinct text


def test_seasonality_is_cyclic_so_december_sits_next_to_january():
    frame = synthetic_features(3, seed=0).assign(ftd_calendar_month=[1, 12, 7])
    inputs = prepare(frame)
    points = inputs[["season_sin", "season_cos"]].to_numpy()
    assert np.linalg.norm(points[0] - points[1]) < np.linalg.norm(points[0] - points[2])
    assert "months_since_launch" not in inputs and "ftd_calendar_month" not in inputs


def test_prepare_names_the_missing_columns():
    with pytest.raises(FeatureSchemaError, match="missing feature columns: geo, product"):
        prepare(synthetic_features(5).drop(columns=["geo", "product"]))


def test_the_estimator_stores_parameters_only_and_clones():
    model = QuickChurnClassifier(algorithm="boosted", grain="partner", seed=7)
    assert model.get_params()["seed"] == 7 and not hasattr(model, "submodels_")
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy is not model
    # Validation happens in fit, not in __init__.
    broken = QuickChurnClassifier(algorithm="forest")
    with pytest.raises(ValueError, match="algorithm must be one of"):
        broken.fit(synthetic_features(10), np.zeros(10))


def test_fit_learns_underscore_attributes_and_predict_proba_gives_probabilities(synthetic):
    features, labels = synthetic
    known = labels["is_label_known"].to_numpy()
    model = QuickChurnClassifier(min_submodel_players=400, grain="partner")
    fitted = model.fit(features[known], labels["is_quick_churn"][known].astype(int))
    assert fitted is model and set(model.submodels_) >= {"global", "partner=P01"}
    probabilities = model.predict_proba(features)
    assert probabilities.shape == (len(features), 2)
    assert np.allclose(probabilities.sum(axis=1), 1) and (probabilities > 0).all()
    frame = model.score_frame(features)
    assert list(frame) == ["quick_churn_probability", "risk_band", "served_by"]
    # P03 (10% of the players) is below the minimum: the global sub-model serves it.
    assert set(frame.loc[features["partner_id"].eq("P03"), "served_by"]) == {"global"}
    # A coarser grain from the same fit is the global sub-model alone.
    assert model.coarsened("global").predict_proba(features)[:, 1] == pytest.approx(
        QuickChurnClassifier(min_submodel_players=400)
        .fit(features[known], labels["is_quick_churn"][known].astype(int))
        .predict_proba(features)[:, 1]
    )


@pytest.mark.parametrize("algorithm", ["logistic", "boosted"])
def test_threads_change_neither_the_fit_nor_a_probability(synthetic, monkeypatch, algorithm):
    features, labels = synthetic
    known = labels["is_label_known"].to_numpy()
    y = labels["is_quick_churn"][known].astype(int)
    # Chunks of 97 rows: the threads share out many chunks, and rows sit at odd offsets.
    monkeypatch.setattr(estimators, "PREDICT_CHUNK_ROWS", 97)
    one, three = (
        QuickChurnClassifier(algorithm, "partner", min_submodel_players=400, n_jobs=jobs).fit(
            features[known], y
        )
        for jobs in (1, 3)
    )
    assert pickle.dumps(one.to_state()) == pickle.dumps(three.to_state())
    assert "n_jobs" not in one.to_state()["params"]
    serial = one.predict_proba(features)[:, 1]
    assert np.array_equal(serial, three.predict_proba(features)[:, 1])
    # The same rows in one chunk: the chunks do not depend on the threads, and barely on size.
    monkeypatch.setattr(estimators, "PREDICT_CHUNK_ROWS", 2**16)
    assert one.predict_proba(features)[:, 1] == pytest.approx(serial, rel=1e-12)


def test_rows_fall_back_from_partition_to_partner_to_global():
    partner = pd.Series(["P1", "P1", "P2", "P3"])
    partition = pd.Series(["P1|NJ", "P1|PA", "P2|NJ", "P3|NJ"])
    available = {"global", "partner=P1", "partner=P2", "partition=P1|NJ"}
    served = estimators.route(partner, partition, "partition", available)
    assert served.tolist() == ["partition=P1|NJ", "partner=P1", "partner=P2", "global"]
    assert estimators.route(partner, partition, "global", available).eq("global").all()


def test_windows_leave_the_maturation_gap_between_every_fit_and_what_it_is_scored_on():
    windows = plan_windows(months("2019-01-01", 67), gap=5, max_test_cohorts=12, cv_folds=3)
    assert (len(windows.train), len(windows.gap), len(windows.test)) == (50, 5, 12)
    assert windows.gap[0] > windows.train[-1] and windows.test[0] > windows.gap[-1]
    assert len(windows.folds) == 3
    for fitted, scored in windows.folds:
        # Five whole months between the last fitted cohort and the first scored one.
        assert (scored[0].to_period("M") - fitted[-1].to_period("M")).n == 6
        assert scored[-1] <= windows.train[-1]


def test_windows_shrink_with_the_data_and_stop_below_the_minimum():
    twelve_months = plan_windows(months("2024-01-01", 7), gap=5, max_test_cohorts=12, cv_folds=3)
    assert (len(twelve_months.train), len(twelve_months.test), twelve_months.folds) == (1, 1, [])
    thirty_months = plan_windows(months("2022-07-01", 25), gap=5, max_test_cohorts=12, cv_folds=3)
    assert len(thirty_months.test) == 6 and len(thirty_months.folds) >= 1
    with pytest.raises(InsufficientHistoryError, match="at least 7 labelled FTD cohorts .* has 6"):
        plan_windows(months("2024-01-01", 6), gap=5, max_test_cohorts=12, cv_folds=3)


def _cv(rows):
    columns = ["model_name", "algorithm", "grain", "roc_auc"]
    columns += ["roc_auc_gain_vs_logistic_lower", "roc_auc_gain_vs_global_lower"]
    return pd.DataFrame(rows, columns=columns)


def test_boosted_is_chosen_only_when_its_gain_interval_is_above_zero():
    rows = [
        ["logistic_global", "logistic", "global", 0.760, None, None],
        ["boosted_global", "boosted", "global", 0.770, 0.002, None],
    ]
    assert choose_algorithm(_cv(rows)) == "boosted"
    rows[1][4] = -0.001
    assert choose_algorithm(_cv(rows)) == "logistic"


def test_a_finer_grain_needs_a_gain_over_global_above_its_interval():
    rows = [
        ["logistic_global", "logistic", "global", 0.760, None, None],
        ["logistic_partner", "logistic", "partner", 0.770, None, 0.003],
        ["logistic_partition", "logistic", "partition", 0.780, None, -0.002],
    ]
    assert choose_grain(_cv(rows), "logistic") == "partner"
    rows[1][5] = -0.001
    assert choose_grain(_cv(rows), "logistic") == "global"


def test_the_choice_never_looks_at_the_test_cohorts(synthetic, tmp_path):
    """Scrambling the test cohorts' labels changes the test rows but not the cv rows, the
    choice or the cv metrics."""
    features, labels = synthetic
    settings = TrainingSettings(artifact_dir=str(tmp_path), **SMALL)
    first = train_and_evaluate(features, labels, settings)
    test_cohorts = first.loc[first["data_split"] == "test", ["first_cohort", "last_cohort"]].iloc[0]
    in_test = pd.to_datetime(features["ftd_month"]).between(
        pd.Timestamp(test_cohorts["first_cohort"]), pd.Timestamp(test_cohorts["last_cohort"])
    )
    scrambled = labels.copy()
    scrambled.loc[in_test, "is_quick_churn"] = ~scrambled.loc[in_test, "is_quick_churn"]
    second = train_and_evaluate(features, scrambled, settings)
    cv = ["model_name", "roc_auc", "log_loss", "is_default"]
    pd.testing.assert_frame_equal(
        first.loc[first["data_split"] == "cv", cv].reset_index(drop=True),
        second.loc[second["data_split"] == "cv", cv].reset_index(drop=True),
    )
    test_auc = first.loc[first["data_split"] == "test", "roc_auc"].to_numpy()
    assert not np.allclose(test_auc, second.loc[second["data_split"] == "test", "roc_auc"])


def test_training_evaluates_every_candidate_and_serves_the_refit(trained):
    evaluation, settings = trained
    overall = evaluation[evaluation["slice_type"] == "overall"]
    names = set(DEFAULT_CANDIDATES)
    assert set(overall.loc[overall["data_split"] == "cv", "model_name"]) == names
    assert set(overall.loc[overall["data_split"] == "test", "model_name"]) == names
    per_slice = evaluation.groupby(["data_split", "slice_type", "partner_id", "geo"])["is_default"]
    assert per_slice.sum().eq(1).all()
    test = overall[overall["data_split"] == "test"].set_index("model_name")
    assert (test["roc_auc_lower"] < test["roc_auc"]).all()
    assert (test["roc_auc"] < test["roc_auc_upper"]).all()
    assert test.loc["boosted_global", "roc_auc_gain_vs_logistic"] == pytest.approx(
        test.loc["boosted_global", "roc_auc"] - test.loc["logistic_global", "roc_auc"]
    )
    assert test["roc_auc"].min() > 0.7  # the synthetic signal is strong
    # The cv cohorts end before the test cohorts start, with the gap between.
    cv_last = overall.loc[overall["data_split"] == "cv", "last_cohort"].max()
    test_first = test["first_cohort"].min()
    assert (pd.Period(test_first, "M") - pd.Period(cv_last, "M")).n > settings.gap_cohorts
    # The artifact is the refit on every labelled cohort, and CURRENT points at it.
    path = Path(evaluation.loc[evaluation["is_default"], "artifact_path"].iloc[0])
    card = json.loads((path / "model_card.json").read_text())
    served = card["cohorts"]["served_model_fitted_on"]
    assert served["first"] == card["cohorts"]["train"]["first"]
    assert served["last"] == card["cohorts"]["test"]["last"]
    assert card["submodels"]["global"]["n_train"] > test.iloc[0]["n_players"] * 2
    assert current_version(path.parent) == path.name


def test_training_is_deterministic(synthetic, trained, tmp_path):
    features, labels = synthetic
    first, settings = trained
    # Neither the row order from the warehouse nor the processes the fits run on may matter.
    shuffled = features.sample(frac=1, random_state=3)
    assert settings.jobs == 1
    second = train_and_evaluate(
        shuffled, labels, TrainingSettings(artifact_dir=str(tmp_path), jobs=2, **SMALL)
    )
    pd.testing.assert_frame_equal(
        first.drop(columns=["artifact_path", "holdout_artifact_path"]),
        second.drop(columns=["artifact_path", "holdout_artifact_path"]),
    )
    version = first["model_version"].iloc[0]
    # The served refit, and the holdout fit (fitted in a worker process on the second run).
    for folder in (Path(version), Path(HOLDOUT_FOLDER) / version):
        for name in ("model.skops", "model_card.json", "manifest.json", "manifest.sig"):
            original = (Path(settings.artifact_dir) / folder / name).read_bytes()
            assert original == (tmp_path / folder / name).read_bytes(), folder / name


def test_scores_come_from_the_saved_artifact_with_labels_and_windows(synthetic, trained):
    features, labels = synthetic
    evaluation, _ = trained
    scores = score_players(features, labels, evaluation)
    assert len(scores) == len(features) and scores["player_id"].is_unique
    assert scores["quick_churn_probability"].between(0, 1).all()
    assert scores["is_quick_churn"].isna().eq(~scores["is_label_known"]).all()
    assert set(scores["data_split"]) == {"train", "gap", "test", "unlabelled"}
    assert scores["data_split"].eq("unlabelled").eq(~scores["is_label_known"]).all()
    assert (scores["model_version"] == evaluation["model_version"].iloc[0]).all()
    # The holdout probabilities of the test players are the ones the test rows measured.
    test = scores[scores["data_split"] == "test"]
    assert scores["holdout_probability"].notna().eq(scores["data_split"] == "test").all()
    default_test = evaluation[
        evaluation["is_default"]
        & (evaluation["data_split"] == "test")
        & (evaluation["slice_type"] == "overall")
    ].iloc[0]
    holdout_auc = weighted_roc_auc(test["is_quick_churn"].astype(int), test["holdout_probability"])
    assert holdout_auc == pytest.approx(default_test["roc_auc"], abs=1e-12)


def test_too_short_an_export_stops_with_the_counts_or_builds_without_a_model(synthetic, tmp_path):
    features, labels = synthetic
    recent = pd.to_datetime(features["ftd_month"]) >= pd.to_datetime(
        features["ftd_month"]
    ).max() - pd.DateOffset(months=10)
    short_features, short_labels = features[recent], labels[recent.to_numpy()]
    settings = TrainingSettings(artifact_dir=str(tmp_path), **SMALL)
    with pytest.raises(InsufficientHistoryError, match=r"needs at least 7 .* this export has \d"):
        train_and_evaluate(short_features, short_labels, settings)
    skipping = TrainingSettings(artifact_dir=str(tmp_path), short_history="skip", **SMALL)
    evaluation = train_and_evaluate(short_features, short_labels, skipping)
    assert evaluation["model_name"].tolist() == ["none"]
    assert evaluation["status"].iloc[0].startswith("not trained: the quick-churn classifier needs")
    assert score_players(short_features, short_labels, evaluation).empty
    assert not any(tmp_path.iterdir())


def test_settings_read_what_dbt_renders():
    settings = TrainingSettings.from_meta(
        {
            **{key: str(value) for key, value in LABEL.items()},
            "seed": "7",
            "risk_band_edges": "[0.4, 0.6, 0.9]",
            "bootstrap_samples": 100,
            "artifact_dir": "x",
            "cv_folds": "",
            "jobs": "2",
        }
    )
    assert settings.seed == 7 and settings.bootstrap_samples == 100 and settings.jobs == 2
    assert settings.risk_band_edges == (0.4, 0.6, 0.9) and settings.cv_folds == 3
    assert settings.gap_cohorts == 5
    with pytest.raises(ValueError, match="lack quick_churn_months"):
        TrainingSettings.from_meta({"seed": "1"})
