"""Monitoring building blocks on small frames: CBPE, PSI, the promotion rule, the prospective
metrics and the estimates table."""

from __future__ import annotations

import os

import duckdb
import numpy as np
import pandas as pd
import pytest
from churn.classifier.features import FEATURE_SCHEMA
from churn.classifier.metrics import weighted_roc_auc
from churn.classifier.training import TrainingSettings, train_and_evaluate
from churn.monitoring.drift import PSI_FEATURES, feature_psi, population_stability_index
from churn.monitoring.estimation import (
    auc_sampling_sd,
    expected_base_rate,
    expected_roc_auc,
    expected_roc_auc_sd,
    share_within_by_chance,
)
from churn.monitoring.history import (
    DRIFT_SCHEMA,
    MonitoringSettings,
    feature_drift,
    performance_estimates,
    prospective_metrics,
)
from churn.monitoring.promotion import PromotionRule, decide


def test_expected_auc_of_two_players_counts_only_distinct_pairs():
    # Pairs (churner, stayer): 0.8 x 0.8 ordered correctly, 0.2 x 0.2 wrongly.
    assert expected_roc_auc(np.array([0.2, 0.8])) == pytest.approx(0.64 / 0.68)


def test_expected_auc_matches_the_mean_realised_auc_of_calibrated_labels():
    rng = np.random.default_rng(1)
    p = rng.beta(2, 3, size=600)
    realised = []
    for _ in range(400):
        y = rng.random(len(p)) < p
        realised.append(float(weighted_roc_auc(y.astype(int), p)))
    assert expected_roc_auc(p) == pytest.approx(np.mean(realised), abs=0.004)
    assert expected_roc_auc_sd(p) == pytest.approx(np.std(realised), rel=0.25)


def test_expected_base_rate_interval_covers_the_mean_probability():
    rate, low, high = expected_base_rate(np.array([0.1, 0.5, 0.9, 0.3]))
    assert rate == pytest.approx(0.45)
    assert low < rate < high


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(2)
    reference = pd.Series(rng.lognormal(3, 1, 5000))
    same = pd.Series(rng.lognormal(3, 1, 2000))
    shifted = pd.Series(rng.lognormal(3.8, 1, 2000))
    assert population_stability_index(reference, same, "float") < 0.02
    assert population_stability_index(reference, shifted, "float") > 0.2


def test_psi_sees_a_new_category_and_missing_values():
    reference = pd.Series(["a"] * 500 + ["b"] * 500)
    current = pd.Series(["a"] * 300 + ["c"] * 300 + [None] * 400)
    assert population_stability_index(reference, current, "category") > 1


def test_psi_by_hand_equals_a_value_count_of_each_bin():
    """Numeric bins at the reference deciles, a missing value a bin of its own, shares floored."""
    reference = pd.Series([float(v) for v in range(100)] + [np.nan] * 25)
    current = pd.Series([5.0] * 50 + [np.nan] * 50)
    ref_share = np.array([25] + [10] * 10) / 125  # missing, then ten deciles
    cur_share = np.maximum(np.array([50, 50] + [0] * 9) / 100, 1e-4)
    expected = np.sum((cur_share - ref_share) * np.log(cur_share / ref_share))
    assert population_stability_index(reference, current, "float") == pytest.approx(expected)


def test_feature_psi_compares_each_partner_with_its_own_reference_rows():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {name: rng.integers(0, 5, 600).astype("float64") for name in PSI_FEATURES}
    ).assign(partner_id=rng.choice(["P1", "P2", "P3"], 600))
    for name in PSI_FEATURES:
        if FEATURE_SCHEMA[name] == "category":
            frame[name] = frame[name].astype(int).astype(str)
    reference, current = (
        frame.iloc[:400],
        frame.iloc[400:].assign(partner_id=lambda f: f["partner_id"].replace({"P3": "P4"})),
    )
    rows = feature_psi(reference, current, "_all").set_index(["partner_id", "subject"])
    assert sorted(set(rows.index.get_level_values(0))) == ["P1", "P2", "P4", "_all"]
    for partner in ["P1", "P2"]:
        ref, cur = (
            reference[reference.partner_id == partner],
            current[current.partner_id == partner],
        )
        for name in PSI_FEATURES:
            row = rows.loc[(partner, name)]
            assert (row.n_reference, row.n_current) == (len(ref), len(cur))
            assert row.value == population_stability_index(
                ref[name], cur[name], FEATURE_SCHEMA[name]
            )
    # A partner with no reference rows has no PSI, never a crash.
    assert rows.loc[("P4", PSI_FEATURES[0])].n_reference == 0
    assert np.isnan(rows.loc[("P4", PSI_FEATURES[0])].value)


@pytest.fixture
def test_slice():
    rng = np.random.default_rng(3)
    p = rng.beta(2, 3, size=3000)
    y = (rng.random(len(p)) < p).astype(int)
    return y, p


def test_promotion_without_champion_promotes_the_first_version(test_slice):
    y, p = test_slice
    decision = decide(y, p, None, PromotionRule())
    assert decision.promoted and decision.reason.startswith("first version")


def test_promotion_of_an_equal_challenger(test_slice):
    y, p = test_slice
    decision = decide(y, p, p, PromotionRule())
    assert decision.promoted, decision.reason
    assert decision.roc_auc_difference == 0


def test_a_worse_challenger_keeps_the_champion(test_slice):
    y, p = test_slice
    rng = np.random.default_rng(4)
    noisy = np.clip(p + rng.normal(0, 0.25, len(p)), 0.01, 0.99)
    decision = decide(y, noisy, p, PromotionRule(max_ece=1, slope_range=(0, 10)))
    assert not decision.promoted
    assert "entirely below 0" in decision.reason


def test_a_miscalibrated_challenger_keeps_the_champion(test_slice):
    y, p = test_slice
    decision = decide(y, p**2, p, PromotionRule())
    assert not decision.promoted
    assert "ECE" in decision.reason


def test_a_challenger_better_calibrated_than_a_miscalibrated_champion_is_promoted(test_slice):
    # Neither meets the ECE target; the champion is much worse calibrated, the ranking the same.
    y, p = test_slice
    decision = decide(y, p**1.3, p**2, PromotionRule())
    assert decision.expected_calibration_error > PromotionRule().max_ece
    assert decision.promoted, decision.reason
    # Against a calibrated champion the same challenger is turned down.
    kept = decide(y, p**1.3, p, PromotionRule())
    assert not kept.promoted and "above the champion's" in kept.reason


def _history(cutoffs: list[str], players: pd.DataFrame, version: str) -> pd.DataFrame:
    rows = []
    for cutoff in cutoffs:
        frame = players.copy()
        frame["data_cutoff"] = pd.Timestamp(cutoff).date()
        frame["model_version"] = version
        known = pd.to_datetime(frame["ftd_month"]) <= pd.Timestamp(cutoff) - pd.DateOffset(months=5)
        frame["data_split"] = np.where(known, "test", "unlabelled")
        frame["is_label_known"] = known
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@pytest.fixture
def cohort():
    rng = np.random.default_rng(5)
    n = 800
    p = rng.beta(2, 3, size=n)
    return pd.DataFrame(
        {
            "player_id": [f"p{i}" for i in range(n)],
            "partner_id": np.where(np.arange(n) % 2, "P01", "P02"),
            "ftd_month": pd.Timestamp("2024-01-01").date(),
            "quick_churn_probability": p,
            "is_quick_churn": rng.random(n) < p,
        }
    )


def test_prospective_metrics_judge_the_version_that_scored_before_the_label(cohort):
    history = _history(["2024-01-01", "2024-05-01"], cohort, "v1")
    labels = cohort[["player_id", "partner_id", "is_quick_churn"]].assign(is_label_known=True)
    registry = pd.DataFrame(
        {
            "model_version": ["v1"],
            "roc_auc": [0.7],
            "roc_auc_lower": [0.68],
            "roc_auc_upper": [0.72],
        }
    )
    evaluation = pd.DataFrame(columns=["is_default", "data_split", "slice_type"])
    rows = prospective_metrics(
        history,
        labels,
        evaluation,
        registry,
        "2024-06-01",
        MonitoringSettings(bootstrap_samples=50),
    )
    overall = rows[rows["partner_id"] == "_all"].iloc[0]
    assert overall["evaluation_type"] == "prospective"
    assert overall["model_version"] == "v1"
    assert str(overall["scored_at_cutoff"]) == "2024-01-01"
    assert overall["n_players"] == len(cohort)
    expected = weighted_roc_auc(
        cohort["is_quick_churn"].astype(int), cohort["quick_churn_probability"]
    )
    assert overall["roc_auc"] == pytest.approx(float(expected))
    assert overall["retrospective_roc_auc_lower"] == 0.68
    assert set(rows["partner_id"]) == {"_all", "P01", "P02"}
    # The cohort matured at 2024-06 (FTD + 5 months): the next cutoff does not count it again.
    history = _history(["2024-01-01", "2024-05-01", "2024-06-01", "2024-07-01"], cohort, "v1")
    later = prospective_metrics(
        history,
        labels,
        evaluation,
        registry,
        "2024-07-01",
        MonitoringSettings(bootstrap_samples=50),
    )
    assert not (later["evaluation_type"] == "prospective").any()


def test_estimates_are_realised_only_when_every_label_is_known(cohort):
    history = _history(["2024-01-01"], cohort, "v1")
    unknown = cohort[["player_id", "is_quick_churn"]].assign(is_label_known=False)
    rows = performance_estimates(history, unknown.assign(is_quick_churn=None))
    assert not rows["is_realised"].any()
    known = cohort[["player_id", "is_quick_churn"]].assign(is_label_known=True)
    rows = performance_estimates(history, known)
    overall = rows[rows["partner_id"] == "_all"].iloc[0]
    assert overall["is_realised"]
    assert overall["estimated_roc_auc"] == pytest.approx(
        expected_roc_auc(cohort["quick_churn_probability"].to_numpy())
    )
    assert abs(overall["roc_auc_error"]) < 3 * overall["estimated_roc_auc_sd"]


def test_an_exact_estimate_is_within_two_sampling_sds_for_95_percent():
    sd = np.full(10, 0.01)
    assert share_within_by_chance(sd, 1.959964 * 0.01) == pytest.approx(0.95, abs=1e-4)
    # Cohorts of about 800 players: a realised AUC's sd near 0.02 leaves ~68% within 0.02.
    assert share_within_by_chance(np.full(3, 0.02), 0.02) == pytest.approx(0.6827, abs=1e-3)


def test_auc_sampling_sd_shrinks_with_the_square_root_of_the_cohort():
    small, large = auc_sampling_sd(0.75, 100, 300), auc_sampling_sd(0.75, 400, 1200)
    assert large == pytest.approx(small / 2, rel=0.05)
    assert np.isnan(auc_sampling_sd(0.75, 0, 300))


def _registry_v1(low: float = 0.68, high: float = 0.72) -> pd.DataFrame:
    return pd.DataFrame(
        {"model_version": ["v1"], "roc_auc": [0.7], "roc_auc_lower": [low], "roc_auc_upper": [high]}
    )


def _prospective(history, labels, cutoff="2024-06-01") -> pd.DataFrame:
    evaluation = pd.DataFrame(columns=["is_default", "data_split", "slice_type"])
    rows = prospective_metrics(
        history,
        labels,
        evaluation,
        _registry_v1(),
        cutoff,
        MonitoringSettings(bootstrap_samples=50),
    )
    return rows[rows["evaluation_type"] == "prospective"]


def test_the_prospective_auc_is_judged_against_the_range_of_a_cohort_its_size(cohort):
    labels = cohort[["player_id", "partner_id", "is_quick_churn"]].assign(is_label_known=True)
    rows = _prospective(_history(["2024-01-01", "2024-05-01"], cohort, "v1"), labels)
    overall = rows[rows["partner_id"] == "_all"].iloc[0]
    low, high = (
        overall["retrospective_cohort_roc_auc_lower"],
        overall["retrospective_cohort_roc_auc_upper"],
    )
    # 800 players: the range is much wider than the pooled test interval [0.68, 0.72], and
    # symmetric around the retrospective AUC.
    assert low < 0.68 - 0.02 and high > 0.72 + 0.02
    assert (low + high) / 2 == pytest.approx(0.7)
    n_pos = overall["n_quick_churners"]
    half = 1.959964 * np.hypot(0.04 / (2 * 1.959964), auc_sampling_sd(0.7, n_pos, 800 - n_pos))
    assert high - 0.7 == pytest.approx(half)
    assert overall["is_auc_below_retrospective"] == (overall["roc_auc"] < low)


def _features(n: int, ftd_month: str, partner: str, rng, offset: int = 0) -> pd.DataFrame:
    columns = {}
    for name, kind in FEATURE_SCHEMA.items():
        if kind == "category":
            columns[name] = rng.choice(["a", "b", "c"], size=n)
        elif kind == "boolean":
            columns[name] = rng.random(n) < 0.5
        else:
            columns[name] = rng.normal(size=n)
    frame = pd.DataFrame(columns)
    frame["partner_id"] = partner
    frame["player_id"] = [f"{partner}-{ftd_month}-{offset + i}" for i in range(n)]
    frame["ftd_month"] = pd.Timestamp(ftd_month).date()
    return frame


def test_a_psi_alert_needs_enough_players_on_both_sides():
    rng = np.random.default_rng(7)
    # P01 has many reference players, P02 a handful; both send a shifted new cohort.
    reference = pd.concat(
        [_features(600, "2023-12-01", "P01", rng), _features(11, "2023-12-01", "P02", rng)]
    )
    current = pd.concat(
        [_features(400, "2024-06-01", "P01", rng), _features(400, "2024-06-01", "P02", rng)]
    )
    current["decision_deposit"] += 3
    features = pd.concat([reference, current], ignore_index=True)
    labels = features[["player_id", "partner_id"]].assign(is_quick_churn=False)
    scores = features[["player_id", "partner_id"]].assign(quick_churn_probability=0.3)
    history = pd.DataFrame({"data_cutoff": [pd.Timestamp("2024-05-01").date()]})
    rows = feature_drift(
        features,
        labels,
        scores,
        pd.DataFrame(),
        history,
        "2024-06-01",
        MonitoringSettings(drift_min_players=200),
    )
    deposit = rows[(rows["metric"] == "feature_psi") & (rows["subject"] == "decision_deposit")]
    by_partner = deposit.set_index("partner_id")
    assert (by_partner["value"] > 0.2).all()
    assert by_partner.loc["P01", "is_alert"] and by_partner.loc["P01", "has_enough_players"]
    assert not by_partner.loc["P02", "is_alert"] and not by_partner.loc["P02", "has_enough_players"]


def _duckdb_types(frame: pd.DataFrame) -> dict[str, str]:
    relation = duckdb.from_df(frame)
    return {
        name: str(kind).strip('"')
        for name, kind in zip(relation.columns, relation.types, strict=True)
    }


def test_feature_drift_of_an_empty_export_has_typed_columns():
    # An export whose every row is quarantined has no features, labels, scores or registry: the
    # drift table still gets its declared types (never DuckDB's NULL type), so its contract and
    # the SQL downstream can rely on them.
    features = _features(0, "2024-06-01", "P01", np.random.default_rng(1))
    rows = feature_drift(
        features,
        features[["player_id", "partner_id"]].assign(is_quick_churn=False),
        features[["player_id", "partner_id"]].assign(quick_churn_probability=0.0),
        pd.DataFrame(),
        pd.DataFrame({"data_cutoff": pd.Series([], dtype=object)}),
        "2024-06-01",
        MonitoringSettings(),
    )
    types = _duckdb_types(rows)
    assert list(types) == [name for name, _ in DRIFT_SCHEMA]
    assert "NULL" not in types.values(), types
    assert types["reference_model_version"] == "VARCHAR" and types["data_cutoff"] == "DATE"
    assert rows["reference_model_version"].isna().all()


def test_the_evaluation_of_an_untrainable_export_has_typed_columns():
    # The one status row of an export without scoreable players is null in most text and date
    # columns: they keep VARCHAR and DATE.
    columns = ["player_id", "partner_id", "ftd_month", *FEATURE_SCHEMA]
    features = pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    labels = pd.DataFrame(
        {
            name: pd.Series([], dtype=object)
            for name in ["player_id", "is_label_known", "is_quick_churn", "export_month"]
        }
    )
    settings = TrainingSettings.from_meta(
        {"quick_churn_months": 3, "churn_inactive_months": 3, "decision_month": 1}
    )
    evaluation = train_and_evaluate(features, labels, settings)
    assert evaluation["status"].tolist() == ["not trained: the export has no scoreable players"]
    types = _duckdb_types(evaluation)
    assert "NULL" not in types.values(), types
    assert types["model_version"] == "VARCHAR" and types["first_cohort"] == "DATE"


def test_a_new_registry_store_is_a_copy_of_one_migrated_template(tmp_path, monkeypatch):
    from churn.monitoring.registry import Registry, empty_store_template

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("CHURN_CACHE_DIR", str(tmp_path / "cache"))
    first = Registry(tmp_path / "first", "churn-test")
    template = empty_store_template()
    assert template.exists() and (tmp_path / "first" / "mlflow.db").exists()
    made = template.stat().st_mtime_ns
    first.client.create_registered_model("churn-test")
    second = Registry(tmp_path / "second", "churn-test")
    assert template.stat().st_mtime_ns == made  # migrated once, then copied
    # Each store is its own: the second starts empty and takes writes.
    assert second.frame().empty and second.versions() == []
    second.client.create_registered_model("churn-test")
    # An existing store is never replaced by the template.
    again = Registry(tmp_path / "first", "churn-test")
    assert again.client.get_registered_model("churn-test").name == "churn-test"


def test_a_registry_leaves_the_process_tracking_uri_as_it_found_it(tmp_path, monkeypatch):
    import mlflow
    from churn.monitoring.registry import Registry

    monkeypatch.setenv("CHURN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    first = Registry(tmp_path / "first", "churn-test")
    with first._fluent_store():
        assert mlflow.get_tracking_uri() == first.uri
    assert "MLFLOW_TRACKING_URI" not in os.environ
    # So a second warehouse's registry in the same process gets its own store.
    second = Registry(tmp_path / "second", "churn-test")
    assert second.uri != first.uri and "second" in second.uri
    # A store the user configured stays configured.
    user_store = f"sqlite:///{tmp_path / 'user.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", user_store)
    configured = Registry(tmp_path / "third", "churn-test")
    with configured._fluent_store():
        pass
    assert configured.uri == user_store and os.environ["MLFLOW_TRACKING_URI"] == user_store


def test_the_newest_cohorts_mean_probability_is_each_partners_own():
    rng = np.random.default_rng(8)
    # P01 and P02 have reference players; P03 joined lately and has none.
    reference = pd.concat(
        [_features(300, "2023-12-01", "P01", rng), _features(50, "2023-12-01", "P02", rng)]
    )
    current = pd.concat(
        [_features(n, "2024-06-01", p, rng) for n, p in [(40, "P01"), (30, "P02"), (20, "P03")]]
    )
    features = pd.concat([reference, current], ignore_index=True)
    labels = features[["player_id", "partner_id"]].assign(
        is_quick_churn=rng.random(len(features)) < 0.3
    )
    scores = features[["player_id", "partner_id"]].assign(
        quick_churn_probability=rng.random(len(features))
    )
    rows = feature_drift(
        features,
        labels,
        scores,
        pd.DataFrame(),
        pd.DataFrame({"data_cutoff": [pd.Timestamp("2024-05-01").date()]}),
        "2024-06-01",
        MonitoringSettings(drift_min_players=25),
    )
    means = rows[rows["metric"] == "cohort_mean_probability"].set_index("partner_id")
    assert sorted(means.index) == ["P01", "P02", "P03", "_all"]
    newest = scores[scores["player_id"].isin(current["player_id"])]
    base = labels[labels["player_id"].isin(reference["player_id"])]
    for partner in ["P01", "P02", "P03"]:
        mine = newest[newest["partner_id"] == partner]["quick_churn_probability"]
        theirs = base[base["partner_id"] == partner]["is_quick_churn"].astype(float)
        row = means.loc[partner]
        assert (row["n_current"], row["n_reference"]) == (len(mine), len(theirs))
        assert row["value"] == pytest.approx(mine.mean(), rel=1e-12)
        assert row["has_enough_players"] == (min(len(mine), len(theirs)) >= 25)
    assert np.isnan(means.loc["P03", "reference_value"])
    assert means.loc["P02", "reference_value"] == pytest.approx(
        base[base["partner_id"] == "P02"]["is_quick_churn"].mean()
    )
    assert means.loc["_all", "n_current"] == len(newest)


def test_run_artifacts_stay_with_the_registry_store(tmp_path, monkeypatch):
    from churn.monitoring.registry import Registry

    monkeypatch.setenv("CHURN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    registry = Registry(tmp_path / "store", "churn-test")
    # Registration creates the experiment inside the fluent store, where the variable is set.
    with registry._fluent_store():
        experiment = registry.client.get_experiment(registry._experiment_id())
    assert experiment.artifact_location == (tmp_path / "store" / "mlflow-artifacts").as_uri()
