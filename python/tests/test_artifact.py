"""The model artifact: round trip, signatures, every refusal (unsigned, wrongly signed, tampered,
pickle-swapped, foreign types, schema mismatch), the CURRENT pointer, determinism, and that
artifact.py imports no model."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.artifact import (
    CARD_FILE,
    DEVELOPMENT_KEY_HEX,
    MANIFEST_FILE,
    MODEL_FILE,
    SIGNATURE_FILE,
    ArtifactError,
    ArtifactIntegrityError,
    current_version,
    list_versions,
    load_artifact,
    save_artifact,
    set_current,
)
from churn.classifier.features import CATEGORY_CODING, TEXT_CODING
from churn.classifier.model import (
    ARTIFACT_KIND,
    QuickChurnClassifier,
    SchemaMismatchError,
    load_quick_churn_model,
)
from churn.classifier.training import TrainingSettings, model_card, plan_windows
from classifier_synthetic import synthetic_features, synthetic_labels
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

OTHER_KEY = Ed25519PrivateKey.generate()
OTHER_KEY_HEX = OTHER_KEY.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
OTHER_PUBLIC_HEX = OTHER_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _fit(seed: int = 0) -> QuickChurnClassifier:
    features = synthetic_features(1500, seed=1)
    labels = synthetic_labels(features, seed=1)
    known = labels["is_label_known"].to_numpy()
    model = QuickChurnClassifier(algorithm="logistic", grain="partner", seed=seed)
    return model.fit(features[known], labels["is_quick_churn"][known].astype(int))


def _card(model: QuickChurnClassifier, version: str = "test-0001") -> dict:
    settings = TrainingSettings(quick_churn_months=3, churn_inactive_months=3, decision_month=0)
    cohorts = plan_windows(list(pd.date_range("2021-01-01", periods=10, freq="MS")), 5, 2, 1)
    evaluation = pd.DataFrame(columns=["slice_type", "model_name", "data_split", "roc_auc"])
    return model_card(
        model, version, "2023-12-01", settings, cohorts, evaluation, "logistic_partner"
    )


def _save(model: QuickChurnClassifier, path: Path, version: str = "test-0001") -> Path:
    return save_artifact(path, model.to_state(), _card(model, version), ARTIFACT_KIND)


@pytest.fixture(scope="module")
def fitted() -> QuickChurnClassifier:
    return _fit()


@pytest.fixture(scope="module")
def scoring_frame():
    return synthetic_features(300, seed=9)


@pytest.fixture()
def saved(fitted, tmp_path) -> Path:
    return _save(fitted, tmp_path / "test-0001")


def _rehash(path: Path) -> None:
    """What a careless editor would do after changing a file: recompute the manifest's hashes
    (which breaks the signature of the manifest)."""
    manifest = json.loads((path / MANIFEST_FILE).read_text())
    for name, entry in manifest["files"].items():
        data = (path / name).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    (path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _resign(path: Path, key: Ed25519PrivateKey) -> None:
    manifest = (path / MANIFEST_FILE).read_bytes()
    entry = json.loads((path / SIGNATURE_FILE).read_text())
    entry["signature"] = key.sign(manifest).hex()
    (path / SIGNATURE_FILE).write_text(json.dumps(entry))


def _dev_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(DEVELOPMENT_KEY_HEX))


def test_round_trip_gives_the_same_probabilities_and_card(fitted, saved, scoring_frame):
    loaded = load_quick_churn_model(saved)
    assert np.array_equal(loaded.predict_proba(scoring_frame), fitted.predict_proba(scoring_frame))
    assert loaded.card_["version"] == "test-0001"
    assert loaded.get_params() == fitted.get_params()
    assert set(loaded.card_["package_versions"]) >= {"scikit-learn", "numpy", "skops", "python"}
    assert (saved / SIGNATURE_FILE).is_file()


def test_an_unsigned_artifact_is_refused(saved):
    (saved / SIGNATURE_FILE).unlink()
    with pytest.raises(ArtifactIntegrityError, match="is not signed"):
        load_artifact(saved)


def test_an_artifact_signed_with_another_key_is_refused(saved, monkeypatch):
    _resign(saved, OTHER_KEY)
    with pytest.raises(ArtifactIntegrityError, match="not signed by the trusted key"):
        load_artifact(saved)
    # Trusting that key (its public half only) accepts it; the development key no longer does.
    monkeypatch.setenv("CHURN_VERIFY_KEY", OTHER_PUBLIC_HEX)
    assert load_artifact(saved).version == "test-0001"


def test_an_artifact_signed_with_the_configured_key_loads(fitted, tmp_path, monkeypatch):
    monkeypatch.setenv("CHURN_SIGNING_KEY", OTHER_KEY_HEX)
    path = _save(fitted, tmp_path / "test-0001")
    assert load_artifact(path).version == "test-0001"
    monkeypatch.delenv("CHURN_SIGNING_KEY")
    with pytest.raises(ArtifactIntegrityError, match="not signed by the trusted key"):
        load_artifact(path)


def test_a_changed_byte_is_refused(saved):
    model_file = saved / MODEL_FILE
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    model_file.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="model.skops does not match its manifest"):
        load_artifact(saved)


def test_edited_risk_bands_with_hashes_recomputed_are_refused(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["risk_band_edges"] = [0.01, 0.02, 0.03]
    (saved / CARD_FILE).write_text(json.dumps(card))
    _rehash(saved)
    with pytest.raises(ArtifactIntegrityError, match="not signed by the trusted key"):
        load_artifact(saved)


def test_a_pickle_swapped_in_is_refused_even_when_rehashed_and_resigned(saved):
    (saved / MODEL_FILE).write_bytes(pickle.dumps({"global": "not a model"}))
    _rehash(saved)
    with pytest.raises(ArtifactIntegrityError, match="not signed by the trusted key"):
        load_artifact(saved)
    # With the (public) development key someone can re-sign; the file is still no skops file.
    _resign(saved, _dev_key())
    with pytest.raises(ArtifactIntegrityError, match="is not a skops model file"):
        load_artifact(saved)


def test_a_model_file_with_a_type_outside_the_allow_list_is_refused(saved):
    script = textwrap.dedent(f"""
        import skops.io as sio
        from sklearn.preprocessing import FunctionTransformer
        import os
        state = {{"submodels": {{"global": {{"pipeline": FunctionTransformer(os.system)}}}}}}
        sio.dump(state, {str(saved / MODEL_FILE)!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    _rehash(saved)
    _resign(saved, _dev_key())
    with pytest.raises(ArtifactIntegrityError, match="types that are not allowed: .*system"):
        load_artifact(saved)


def test_an_unlisted_file_is_refused(saved):
    (saved / "extra.py").write_text("print('hello')")
    with pytest.raises(ArtifactIntegrityError, match="files not in its manifest: extra.py"):
        load_artifact(saved)


def test_a_feature_schema_mismatch_is_refused(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["feature_schema"]["decision_deposit"] = "category"
    (saved / CARD_FILE).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    _rehash(saved)
    _resign(saved, _dev_key())
    with pytest.raises(SchemaMismatchError, match="decision_deposit: artifact category"):
        load_quick_churn_model(saved)


def test_an_artifact_fitted_on_category_text_is_still_served_as_text(
    fitted, scoring_frame, tmp_path, monkeypatch
):
    # Artifacts fitted before categories were coded (a registered champion among them) keep
    # scoring: their state names no coding, and they are fed the text their encoders know.
    from churn.classifier import model as model_module

    with monkeypatch.context() as patch:
        patch.setattr(model_module, "CATEGORY_CODING", TEXT_CODING)
        on_text = _fit()
    assert on_text.category_coding_ == TEXT_CODING
    state = on_text.to_state()
    del state["category_coding"]
    card = _card(on_text)
    del card["category_coding"]
    path = save_artifact(tmp_path / "test-0001", state, card, ARTIFACT_KIND)
    loaded = load_quick_churn_model(path)
    assert loaded.category_coding_ == TEXT_CODING and fitted.category_coding_ == CATEGORY_CODING
    expected = on_text.predict_proba(scoring_frame)[:, 1]
    np.testing.assert_array_equal(loaded.predict_proba(scoring_frame)[:, 1], expected)
    # Coding the categories changes no probability: the encoders see the same levels.
    np.testing.assert_allclose(fitted.predict_proba(scoring_frame)[:, 1], expected, atol=1e-12)


def test_an_artifact_with_an_unknown_category_coding_is_refused(fitted, tmp_path):
    state = fitted.to_state()
    state["category_coding"] = "md5-16"
    path = save_artifact(tmp_path / "test-0001", state, _card(fitted), ARTIFACT_KIND)
    with pytest.raises(ArtifactIntegrityError, match="coded as 'md5-16'.*retrain it"):
        load_quick_churn_model(path)


def test_a_folder_that_is_not_an_artifact(tmp_path):
    with pytest.raises(ArtifactError, match="neither a model artifact nor a folder with a CURRENT"):
        load_artifact(tmp_path)


def test_the_current_pointer_names_the_version_scoring_takes(fitted, tmp_path):
    first = _save(fitted, tmp_path / "quick-a", "quick-a")
    second = _save(_fit(seed=3), tmp_path / "quick-b", "quick-b")
    assert current_version(tmp_path) is None
    set_current(tmp_path, "quick-a")
    assert load_artifact(tmp_path).path == first
    set_current(tmp_path, "quick-b")
    assert load_artifact(tmp_path).path == second
    assert load_artifact(tmp_path, "quick-a").path == first  # by name
    assert list_versions(tmp_path) == ["quick-a", "quick-b"]
    with pytest.raises(ArtifactError, match="no artifact 'quick-c' .* saved versions: quick-a"):
        load_artifact(tmp_path, "quick-c")
    with pytest.raises(ArtifactError, match="not a version name"):
        load_artifact(tmp_path, "../quick-a")


def test_the_same_data_and_seed_give_the_same_files(tmp_path):
    first = _save(_fit(seed=5), tmp_path / "a")
    second = _save(_fit(seed=5), tmp_path / "b")
    for name in (MODEL_FILE, CARD_FILE, MANIFEST_FILE, SIGNATURE_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_saving_again_over_a_broken_artifact_replaces_it(fitted, saved):
    (saved / MODEL_FILE).write_bytes(b"broken")
    _save(fitted, saved)
    load_artifact(saved)


def test_artifact_module_imports_no_model():
    script = (
        "import sys; import churn.artifact; "
        "print(sorted(m for m in sys.modules if m.startswith('churn.')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "['churn.artifact']"
