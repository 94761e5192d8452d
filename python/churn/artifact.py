"""Trained models delivered as versioned, signed, verifiable artifacts. Imports no model.

An artifact is a folder (by default `artifacts/<version>/`) holding

- `model.skops`: the model's state (scikit-learn objects, numbers, lists, dicts) written with skops
  (never pickle), byte-for-byte reproducible (object ids renumbered, fixed zip timestamps);
- `model_card.json`: what the model is (version, data cutoff, label, features, cohorts, metrics);
- `manifest.json`: format, kind, version and the sha256 and size of every other file;
- `manifest.sig`: an Ed25519 signature of the manifest's bytes and the signer's public key.

`load_artifact` checks the signature against the trusted public key, then every hash, refuses
unlisted files, and lets skops rebuild only an explicit allow-list of scikit-learn types, so
nothing from an artifact runs before it has been verified. Every refusal is an `ArtifactError`
whose message is one sentence saying why.

Keys: env `CHURN_SIGNING_KEY` holds the hex Ed25519 private key (32 bytes) that signs; env
`CHURN_VERIFY_KEY` the hex public key that verification trusts (default: the signing key's). With
neither, the documented development key below is used: fine on a laptop, never in production,
since anyone can sign with it.

A folder of artifacts has a pointer, `CURRENT`, naming the version that scoring uses by default
(`current_version`, `set_current`, `load_artifact(folder)`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "churn-artifact/2"
MODEL_FILE = "model.skops"
CARD_FILE = "model_card.json"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
POINTER_FILE = "CURRENT"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
PACKAGES = ("churn", "scikit-learn", "numpy", "pandas", "scipy", "skops")
SIGNING_KEY_ENV = "CHURN_SIGNING_KEY"
VERIFY_KEY_ENV = "CHURN_VERIFY_KEY"
# The development key (docs/classifier.md): sha256 of a public phrase. Not a secret.
DEVELOPMENT_KEY_HEX = hashlib.sha256(b"churn development signing key").hexdigest()
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

# Types outside skops' default trust that a fitted scikit-learn pipeline legitimately contains.
# Anything else in a model file (a function, a class from another module) is refused.
ALLOWED_TYPES = frozenset(
    {
        "functools.partial",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.utils.validation.check_array",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.Interval",
        "numpy.dtype",
    }
)


class ArtifactError(Exception):
    """An artifact cannot be saved, found or trusted; the message says why."""


class ArtifactIntegrityError(ArtifactError):
    """The artifact is unsigned, wrongly signed, modified, or holds types that are not allowed."""


@dataclass(frozen=True)
class LoadedArtifact:
    """A verified artifact: its state as stored, its card and manifest, and its folder."""

    state: Any
    card: dict[str, Any]
    manifest: dict[str, Any]
    path: Path

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_skops(obj: Any) -> bytes:
    """skops bytes that depend only on the object's content: skops names the arrays in its zip by
    memory address and stamps the current time; renumber the ids in order of appearance and fix
    the timestamps, so the same model gives the same sha256."""
    source = zipfile.ZipFile(io.BytesIO(sio.dumps(obj)))
    schema_text = source.read("schema.json").decode()
    renumbered: dict[str, str] = {}
    for found in re.finditer(r'"__id__": (\d+)', schema_text):
        renumbered.setdefault(found.group(1), str(len(renumbered) + 1))
    for name in source.namelist():
        stem = name.rsplit(".", 1)[0]
        if name != "schema.json" and stem not in renumbered:
            renumbered[stem] = str(len(renumbered) + 1)

    def rename(text: str) -> str:
        text = re.sub(r'"__id__": (\d+)', lambda m: f'"__id__": {renumbered[m.group(1)]}', text)
        return re.sub(
            r'"file": "(\d+)\.npy"', lambda m: f'"file": "{renumbered[m.group(1)]}.npy"', text
        )

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        entries = {"schema.json": rename(schema_text).encode()}
        for name in source.namelist():
            if name != "schema.json":
                stem, suffix = name.rsplit(".", 1)
                entries[f"{renumbered[stem]}.{suffix}"] = source.read(name)
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a model depends on."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n").encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Keys -----------------------------------------------------------------------------------------


def _private_key_from_hex(text: str, source: str) -> Ed25519PrivateKey:
    try:
        raw = bytes.fromhex(text.strip())
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as error:
        raise ArtifactError(
            f"{source} is not a hex Ed25519 private key of 32 bytes ({error})"
        ) from error


def signing_key() -> Ed25519PrivateKey:
    """The key that signs: env CHURN_SIGNING_KEY (hex), else the development key."""
    text = os.environ.get(SIGNING_KEY_ENV)
    if text:
        return _private_key_from_hex(text, f"env {SIGNING_KEY_ENV}")
    return _private_key_from_hex(DEVELOPMENT_KEY_HEX, "the development key")


def verify_key() -> Ed25519PublicKey:
    """The public key verification trusts: env CHURN_VERIFY_KEY (hex), else the signing key's."""
    text = os.environ.get(VERIFY_KEY_ENV)
    if text:
        try:
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))
        except ValueError as error:
            raise ArtifactError(
                f"env {VERIFY_KEY_ENV} is not a hex Ed25519 public key of 32 bytes ({error})"
            ) from error
    return signing_key().public_key()


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in hex (what CHURN_VERIFY_KEY holds)."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


# Saving ---------------------------------------------------------------------------------------


def save_artifact(path: str | Path, state: Any, card: dict[str, Any], kind: str) -> Path:
    """Writes and signs the artifact folder at `path` (replacing a different artifact there) and
    returns it. The files are written to a temporary sibling and renamed into place."""
    version = card.get("version")
    if not version or not VERSION_PATTERN.match(str(version)):
        raise ArtifactError(f"the artifact needs a version of letters, digits, . _ -: {version!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {
        MODEL_FILE: canonical_skops(state),
        CARD_FILE: _json_bytes({**card, "kind": kind, "format": FORMAT}),
    }
    manifest_bytes = _json_bytes(
        {
            "format": FORMAT,
            "kind": kind,
            "version": version,
            "files": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                for name, data in sorted(files.items())
            },
        }
    )
    key = signing_key()
    signature_bytes = _json_bytes(
        {
            "algorithm": "ed25519",
            "public_key": public_key_hex(key.public_key()),
            "signature": key.sign(manifest_bytes).hex(),
        }
    )
    if (path / MANIFEST_FILE).is_file() and (path / MANIFEST_FILE).read_bytes() == manifest_bytes:
        try:
            verify_artifact(path)
            return path  # the same artifact is already there, intact and signed
        except ArtifactError:
            pass
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        (staging / MANIFEST_FILE).write_bytes(manifest_bytes)
        (staging / SIGNATURE_FILE).write_bytes(signature_bytes)
        staging.chmod(0o755)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
        try:
            os.replace(staging, path)
        except OSError:
            # Another build saved the same version meanwhile: fine if it is this artifact.
            if (path / MANIFEST_FILE).read_bytes() != manifest_bytes:
                raise
            verify_artifact(path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return path


# Verifying and loading ------------------------------------------------------------------------


def verify_artifact(path: str | Path) -> dict[str, Any]:
    """Checks the signature, the format and every file against the manifest; returns the
    manifest. Raises ArtifactError (ArtifactIntegrityError when it cannot be trusted)."""
    path = Path(path)
    manifest_path = path / MANIFEST_FILE
    if not path.is_dir() or not manifest_path.is_file():
        raise ArtifactError(f"{path} is not a model artifact: {MANIFEST_FILE} not found")
    manifest_bytes = manifest_path.read_bytes()
    _check_signature(path, manifest_bytes)
    try:
        manifest = json.loads(manifest_bytes)
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactIntegrityError(f"{manifest_path} is not a valid manifest") from error
    if manifest.get("format") != FORMAT:
        raise ArtifactIntegrityError(
            f"{path} has artifact format {manifest.get('format')!r} and this package reads "
            f"{FORMAT!r}; retrain it"
        )
    present = {entry.name for entry in path.iterdir()} - {MANIFEST_FILE, SIGNATURE_FILE}
    unlisted = sorted(present - set(files))
    if unlisted:
        raise ArtifactIntegrityError(
            f"{path} holds files not in its manifest: {', '.join(unlisted)}"
        )
    for name, expected in sorted(files.items()):
        file = path / name
        if not file.is_file():
            raise ArtifactIntegrityError(f"{path}: {name} is listed in the manifest but missing")
        if sha256_file(file) != expected.get("sha256") or file.stat().st_size != expected.get(
            "bytes"
        ):
            raise ArtifactIntegrityError(
                f"{path}: {name} does not match its manifest, so the artifact was modified after "
                "it was signed; refusing to load it"
            )
    return manifest


def _check_signature(path: Path, manifest_bytes: bytes) -> None:
    signature_path = path / SIGNATURE_FILE
    if not signature_path.is_file():
        raise ArtifactIntegrityError(
            f"{path} is not signed ({SIGNATURE_FILE} missing); refusing to load it"
        )
    try:
        entry = json.loads(signature_path.read_bytes())
        signature = bytes.fromhex(entry["signature"])
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactIntegrityError(
            f"{path}: {SIGNATURE_FILE} is not a valid signature file; refusing to load it"
        ) from error
    try:
        verify_key().verify(signature, manifest_bytes)
    except InvalidSignature as error:
        raise ArtifactIntegrityError(
            f"{path} is not signed by the trusted key (env {VERIFY_KEY_ENV} or "
            f"{SIGNING_KEY_ENV}), or its manifest was changed after signing; refusing to load it"
        ) from error


def load_artifact(
    location: str | Path, version: str | None = None, kind: str | None = None
) -> LoadedArtifact:
    """Verifies and loads an artifact: `location` is an artifact folder, or a folder of artifacts
    with `version` naming one (default: its CURRENT pointer). With `kind`, refuses another kind."""
    path = resolve_artifact(location, version)
    manifest = verify_artifact(path)
    if kind is not None and manifest.get("kind") != kind:
        raise ArtifactError(f"{path} holds a {manifest.get('kind')!r} artifact, not a {kind!r} one")
    try:
        card = json.loads((path / CARD_FILE).read_text())
    except ValueError as error:
        raise ArtifactIntegrityError(f"{path}: {CARD_FILE} is not valid JSON") from error
    if card.get("version") != manifest.get("version"):
        raise ArtifactIntegrityError(f"{path}: the card and the manifest disagree on the version")
    trained_with = str(card.get("package_versions", {}).get("scikit-learn", ""))
    installed = package_versions()["scikit-learn"]
    if trained_with.split(".")[:2] != installed.split(".")[:2]:
        raise ArtifactError(
            f"{path} was saved with scikit-learn {trained_with or 'unknown'} and this environment "
            f"has {installed}; models do not carry across scikit-learn versions, retrain it"
        )
    model_file = path / MODEL_FILE
    try:
        untrusted = sio.get_untrusted_types(file=model_file)
    except Exception as error:  # a pickle or any non-skops file: zipfile / json errors
        raise ArtifactIntegrityError(
            f"{path}: {MODEL_FILE} is not a skops model file ({type(error).__name__}); refusing "
            "to load it"
        ) from error
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        raise ArtifactIntegrityError(
            f"{path}: {MODEL_FILE} contains types that are not allowed: {', '.join(refused)}"
        )
    try:
        state = sio.load(model_file, trusted=list(untrusted))
    except Exception as error:
        raise ArtifactIntegrityError(
            f"{path}: {MODEL_FILE} could not be read ({type(error).__name__}: {error})"
        ) from error
    return LoadedArtifact(state, card, manifest, path)


# The pointer to the current artifact ----------------------------------------------------------


def current_version(folder: str | Path) -> str | None:
    """The version the folder's CURRENT pointer names, or None without a pointer."""
    pointer = Path(folder) / POINTER_FILE
    if not pointer.is_file():
        return None
    version = pointer.read_text().strip()
    if not VERSION_PATTERN.match(version):
        raise ArtifactError(f"{pointer} does not name a version: {version[:80]!r}")
    return version


def set_current(folder: str | Path, version: str) -> Path:
    """Points the folder's CURRENT at `version` (which must be a saved, verified artifact there);
    written atomically, so a reader sees the old pointer or the new one."""
    folder = Path(folder)
    if not VERSION_PATTERN.match(str(version)):
        raise ArtifactError(f"not a version name: {version!r}")
    verify_artifact(folder / version)
    staging = folder / f".{POINTER_FILE}.{os.getpid()}"
    staging.write_text(f"{version}\n")
    os.replace(staging, folder / POINTER_FILE)
    return folder / POINTER_FILE


def list_versions(folder: str | Path) -> list[str]:
    """Versions saved in the folder (subfolders with a manifest), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and (entry / MANIFEST_FILE).is_file()
    )


def resolve_artifact(location: str | Path, version: str | None = None) -> Path:
    """The artifact folder meant by `location` (an artifact, or a folder of artifacts) and
    `version` (a name in that folder; default: its CURRENT pointer)."""
    location = Path(location)
    if version is None and (location / MANIFEST_FILE).is_file():
        return location
    if version is None:
        version = current_version(location)
        if version is None:
            known = list_versions(location)
            raise ArtifactError(
                f"{location} is neither a model artifact nor a folder with a {POINTER_FILE} "
                "pointer" + (f"; name a version: {', '.join(known[-5:])}" if known else "")
            )
    if not VERSION_PATTERN.match(version):
        raise ArtifactError(f"not a version name: {version!r}")
    path = location / version
    if not (path / MANIFEST_FILE).is_file():
        known = list_versions(location)
        raise ArtifactError(
            f"no artifact {version!r} in {location}"
            + (f"; saved versions: {', '.join(known[-5:])}" if known else "")
        )
    return path
