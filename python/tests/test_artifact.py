"""The model artifact: save / load round trip, tamper detection, schema refusal, determinism."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from churn.artifact import (
    CARD_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    ArtifactError,
    ArtifactIntegrityError,
    ModelArtifact,
    QuickChurnClassifier,
    SchemaMismatchError,
)
from churn.classifier.synthetic import synthetic_features, synthetic_labels

PYTHON_DIR = Path(__file__).resolve().parents[1]


def _fit(algorithm: str = "boosted", grain: str = "partner", seed: int = 0) -> QuickChurnClassifier:
    features = synthetic_features(2500, seed=1)
    labels = synthetic_labels(features, seed=1).set_index("player_id")
    train = labels["data_split"].eq("train").to_numpy()
    calibration = labels["data_split"].eq("calibration").to_numpy()
    model = QuickChurnClassifier(
        algorithm=algorithm,
        grain=grain,
        seed=seed,
        min_train_players=400,
        min_calibration_players=100,
    )
    model.fit(
        features[train],
        labels["is_quick_churn"].to_numpy()[train].astype(int),
        features[calibration],
        labels["is_quick_churn"].to_numpy()[calibration].astype(int),
    )
    model.card.update(version="test-0001", data_cutoff="2023-12-01")
    return model


@pytest.fixture(scope="module")
def fitted() -> QuickChurnClassifier:
    return _fit()


@pytest.fixture(scope="module")
def scoring_frame():
    return synthetic_features(500, seed=9)


@pytest.fixture()
def saved(fitted, tmp_path) -> Path:
    return fitted.save(tmp_path / "artifact")


def _rewrite_manifest(path: Path) -> None:
    """What a careless editor would do after changing a file: recompute the hashes."""
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    for name, entry in manifest["files"].items():
        data = (path / name).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (path / MANIFEST_FILE).write_text(json.dumps(manifest))


def test_round_trip_gives_the_same_probabilities_and_card(fitted, saved, scoring_frame):
    loaded = QuickChurnClassifier.load(saved)
    assert np.array_equal(loaded.predict_proba(scoring_frame), fitted.predict_proba(scoring_frame))
    assert loaded.card["version"] == "test-0001"
    assert loaded.card["feature_schema"]["tracker_id"] == "category"
    assert set(loaded.card["package_versions"]) >= {"scikit-learn", "numpy", "skops", "python"}
    # The base class picks the subclass from the manifest.
    assert isinstance(ModelArtifact.load(saved), QuickChurnClassifier)


def test_predict_proba_is_a_probability_per_row(fitted, scoring_frame):
    probabilities = fitted.predict_proba(scoring_frame)
    assert probabilities.shape == (len(scoring_frame), 2)
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert ((probabilities > 0) & (probabilities < 1)).all()


def test_partner_grain_serves_small_partners_from_the_global_model(fitted, scoring_frame):
    served = fitted.score(scoring_frame)["served_by"]
    # P03 (10% of 2,500 players) is below the minimum: the global model serves it.
    assert set(served[scoring_frame["partner_id"].eq("P03")]) == {"global"}
    assert set(served[scoring_frame["partner_id"].eq("P01")]) == {"partner=P01"}


def test_a_changed_byte_is_refused_with_a_clear_error(saved):
    model_file = saved / MODEL_FILE
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    model_file.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="model.skops does not match its manifest"):
        QuickChurnClassifier.load(saved)


def test_an_edited_card_and_an_unlisted_file_are_refused(saved, tmp_path):
    card = saved / CARD_FILE
    card.write_text(card.read_text().replace('"test-0001"', '"test-0002"'))
    with pytest.raises(ArtifactIntegrityError, match="model_card.json does not match"):
        QuickChurnClassifier.load(saved)
    card.write_text(card.read_text().replace('"test-0002"', '"test-0001"'))
    (saved / "extra.py").write_text("print('hello')")
    with pytest.raises(ArtifactIntegrityError, match="files not in the manifest: extra.py"):
        QuickChurnClassifier.load(saved)


def test_a_feature_schema_mismatch_is_refused_even_with_consistent_hashes(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["feature_schema"]["decision_deposit"] = "category"
    del card["feature_schema"]["tracker_id"]
    (saved / CARD_FILE).write_text(json.dumps(card))
    _rewrite_manifest(saved)
    with pytest.raises(
        SchemaMismatchError, match="decision_deposit: artifact category, package float"
    ):
        QuickChurnClassifier.load(saved)


def test_scoring_a_frame_without_a_feature_column_names_it(fitted, scoring_frame):
    with pytest.raises(SchemaMismatchError, match="missing feature columns: tracker_id"):
        fitted.predict_proba(scoring_frame.drop(columns="tracker_id"))
    wrong_type = scoring_frame.assign(decision_deposit="a lot")
    with pytest.raises(SchemaMismatchError, match="decision_deposit"):
        fitted.predict_proba(wrong_type)


def test_a_model_file_with_a_type_outside_the_allow_list_is_refused(saved, tmp_path):
    # Even with hashes recomputed, skops is never told to trust a type we did not allow.
    script = textwrap.dedent(f"""
        import skops.io as sio
        from sklearn.preprocessing import FunctionTransformer
        import os
        state = {{"global": {{"pipeline": FunctionTransformer(os.system)}}}}
        sio.dump(state, {str(saved / MODEL_FILE)!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    _rewrite_manifest(saved)
    with pytest.raises(ArtifactIntegrityError, match="types that are not allowed: .*system"):
        QuickChurnClassifier.load(saved)


def test_load_of_a_folder_that_is_not_an_artifact(tmp_path):
    with pytest.raises(ArtifactError, match="not a model artifact"):
        QuickChurnClassifier.load(tmp_path)


def test_saving_needs_a_version(tmp_path):
    model = _fit(algorithm="logistic", grain="global")
    model.card["version"] = None
    with pytest.raises(ArtifactError, match="no version"):
        model.save(tmp_path / "x")


def test_the_same_data_and_seed_give_the_same_files(tmp_path):
    first = _fit(seed=5).save(tmp_path / "a")
    second = _fit(seed=5).save(tmp_path / "b")
    for name in (MODEL_FILE, CARD_FILE, MANIFEST_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    third = _fit(seed=6).save(tmp_path / "c")
    assert (third / MODEL_FILE).read_bytes() != (first / MODEL_FILE).read_bytes()


def test_saving_again_over_an_artifact_replaces_it(fitted, saved, tmp_path):
    (saved / MODEL_FILE).write_bytes(b"broken")
    fitted.save(saved)
    QuickChurnClassifier.load(saved)
