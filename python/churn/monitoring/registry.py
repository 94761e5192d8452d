"""The model registry: MLflow's, with the promotion decision recorded on each version.

Every challenger the build trains is registered as a version of one registered model (var
`monitoring_registered_model`), logged as a pyfunc from code (`mlflow_model.py`) with the
verified skops artifact folder as its artifact: nothing is pickled. Its metrics are logged on its
run, its model card as a run artifact and the version's description. Tags on the version record
the promotion decision taken at its data cutoff; the aliases `champion` and `challenger` follow
the decision of the latest cutoff. The store is `MLFLOW_TRACKING_URI` when set, else a SQLite
file beside the artifacts (`<artifact_dir>/mlflow.db`).

A cutoff decided before is never decided again: rebuilding a month reads its recorded decision,
so a replay gives the same history however often it runs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from churn.monitoring.promotion import Decision

logger = logging.getLogger(__name__)

MODEL_CODE = Path(__file__).with_name("mlflow_model.py")
EXPERIMENT = "churn-quick-churn"
CHAMPION, CHALLENGER = "champion", "challenger"
REGISTRY_SCHEMA: list[tuple[str, str]] = [
    ("registered_model", "object"),
    ("registry_version", "int64"),
    ("model_version", "object"),
    ("data_cutoff", "date"),
    ("status", "object"),
    ("is_champion", "bool"),
    ("is_promoted", "bool"),
    ("decision_reason", "object"),
    ("champion_before", "object"),
    ("champion_after", "object"),
    ("n_test_players", "int64"),
    ("roc_auc", "float64"),
    ("roc_auc_lower", "float64"),
    ("roc_auc_upper", "float64"),
    ("expected_calibration_error", "float64"),
    ("calibration_slope", "float64"),
    ("champion_roc_auc", "float64"),
    ("roc_auc_difference", "float64"),
    ("roc_auc_difference_lower", "float64"),
    ("roc_auc_difference_upper", "float64"),
    ("artifact_path", "object"),
    ("holdout_artifact_path", "object"),
    ("model_uri", "object"),
    ("registered_at", "object"),
]
DECISION_FIELDS = list(Decision.__dataclass_fields__)


def tracking_uri(artifact_dir: str | Path) -> str:
    """MLFLOW_TRACKING_URI, else a SQLite store in the artifact folder."""
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    folder = Path(artifact_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def empty_store_template() -> Path:
    """Where this MLflow version's empty, migrated SQLite store is kept (CHURN_CACHE_DIR, else
    the user's cache folder)."""
    import mlflow

    cache = os.environ.get("CHURN_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "churn"
    )
    return Path(cache) / f"mlflow-{mlflow.__version__}-empty.db"


def seed_new_store(database: Path) -> None:
    """Starts a new SQLite store as a copy of an empty one this MLflow version migrated once per
    machine: creating the tables runs every MLflow schema migration, seconds on each fresh
    warehouse. Leaves the store to MLflow when the cache cannot be written."""
    if database.exists():
        return
    from mlflow import MlflowClient

    template = empty_store_template()
    partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
    try:
        if not template.exists():
            template.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            MlflowClient(tracking_uri=f"sqlite:///{partial}").search_experiments()
            # Atomic: a concurrent build copies a complete template or makes its own.
            os.replace(partial, template)
        shutil.copyfile(template, database)
    # Any failure (a read-only cache, a locked SQLite file, a migration error) only loses the
    # shortcut: MLflow then creates the store as it always did.
    except Exception as error:  # noqa: BLE001
        logger.info("no MLflow store template (%s): MLflow creates the store", error)
        database.unlink(missing_ok=True)
    finally:
        partial.unlink(missing_ok=True)


class Registry:
    """One registered model in one MLflow store."""

    def __init__(self, artifact_dir: str | Path, name: str) -> None:
        import mlflow
        from mlflow import MlflowClient

        self.mlflow = mlflow
        self.name = name
        self.artifact_dir = Path(artifact_dir).resolve()
        self.uri = tracking_uri(artifact_dir)
        # Read once: inside _fluent_store the variable is always set.
        self.is_user_store = bool(os.environ.get("MLFLOW_TRACKING_URI"))
        if self.uri.startswith("sqlite:///"):
            seed_new_store(Path(self.uri.removeprefix("sqlite:///")))
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    @contextmanager
    def _fluent_store(self) -> Iterator[None]:
        """Points MLflow's fluent API (start_run, log_model) at this store for one block only:
        `mlflow.set_tracking_uri` also exports MLFLOW_TRACKING_URI, which would send every later
        Registry in the process, and its run artifacts, to this store."""
        before = os.environ.get("MLFLOW_TRACKING_URI")
        self.mlflow.set_tracking_uri(self.uri)
        try:
            yield
        finally:
            # None unsets the variable again; a value the user set is put back.
            self.mlflow.set_tracking_uri(before)  # type: ignore[arg-type]

    def _experiment_id(self) -> str:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return experiment.experiment_id
        # The user's own store keeps its artifact root; ours keeps run artifacts with the store.
        location = None
        if not self.is_user_store:
            location = (self.artifact_dir / "mlflow-artifacts").as_uri()
        return self.client.create_experiment(EXPERIMENT, artifact_location=location)

    def versions(self) -> list[Any]:
        """Every registered version, oldest first."""
        try:
            found = self.client.search_model_versions(f"name = '{self.name}'")
        except Exception:  # noqa: BLE001 - a store without this model has no versions
            return []
        return sorted(found, key=lambda version: int(version.version))

    def find(self, model_version: str) -> Any | None:
        """The registered version holding artifact version `model_version`, if any."""
        for version in self.versions():
            if version.tags.get("churn.model_version") == model_version:
                return version
        return None

    def register(
        self,
        artifact_path: str,
        card: dict[str, Any],
        decision: Decision,
        holdout_path: str | None = None,
    ) -> Any:
        """Logs the artifact as a pyfunc-from-code model with its metrics and card, and registers
        it as a new version (or returns the version that already holds it)."""
        version = card["version"]
        existing = self.find(version)
        if existing is not None:
            return existing
        logger.info("registering %s in %s", version, self.uri)
        metrics = {
            key: float(value)
            for key, value in asdict(decision).items()
            if isinstance(value, float) and value == value
        }
        # The logged model's URI (models:/m-...) resolves through the fluent store too.
        with warnings.catch_warnings(), self._fluent_store():
            warnings.simplefilter("ignore")
            with self.mlflow.start_run(
                experiment_id=self._experiment_id(), run_name=version
            ) as run:
                self.mlflow.log_metrics(metrics)
                self.mlflow.log_dict(card, "model_card.json")
                self.mlflow.set_tags({"churn.model_version": version})
                info = self.mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(MODEL_CODE),
                    artifacts={"skops_artifact": str(artifact_path)},
                    pip_requirements=["churn", "mlflow", "scikit-learn", "skops", "pandas"],
                )
            self._ensure_model()
            registered = self.client.create_model_version(
                self.name,
                info.model_uri,
                run_id=run.info.run_id,
                tags={
                    "churn.model_version": version,
                    "churn.data_cutoff": str(card["data_cutoff"]),
                    "churn.artifact_path": str(Path(artifact_path).resolve()),
                    "churn.holdout_artifact_path": str(Path(holdout_path).resolve())
                    if holdout_path
                    else "",
                },
                description=json.dumps(
                    {key: card.get(key) for key in ("version", "data_cutoff", "label", "metrics")},
                    default=str,
                ),
            )
        return registered

    def _ensure_model(self) -> None:
        try:
            self.client.get_registered_model(self.name)
        except Exception:  # noqa: BLE001 - absent: create it
            self.client.create_registered_model(
                self.name, description="Quick-churn classifier of the churn project."
            )

    def record(
        self, version: Any, decision: Decision, champion_before: str | None, champion_after: str
    ) -> None:
        """Writes the decision taken at the version's cutoff onto the version."""
        tags = {
            f"churn.decision.{key}": json.dumps(value) for key, value in asdict(decision).items()
        }
        tags.update(
            {
                "churn.champion_before": champion_before or "",
                "churn.champion_after": champion_after,
                "churn.decided": "true",
            }
        )
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version.version, key, value)

    def move_aliases(self) -> None:
        """`challenger` on the latest cutoff's version, `champion` on the version serving after
        that cutoff's decision."""
        decided = [v for v in self.versions() if v.tags.get("churn.decided") == "true"]
        if not decided:
            return
        latest = max(decided, key=lambda v: (v.tags["churn.data_cutoff"], int(v.version)))
        champion = self.find(latest.tags["churn.champion_after"])
        self.client.set_registered_model_alias(self.name, CHALLENGER, latest.version)
        if champion is not None:
            self.client.set_registered_model_alias(self.name, CHAMPION, champion.version)

    def frame(self) -> pd.DataFrame:
        """The registry as rows of REGISTRY_SCHEMA (what `churn_model_registry` mirrors)."""
        versions = self.versions()
        aliases: dict[str, list[str]] = {}
        try:
            for alias, number in self.client.get_registered_model(self.name).aliases.items():
                aliases.setdefault(str(number), []).append(alias)
        except Exception:  # noqa: BLE001 - no registered model yet
            pass
        ever_champion = {v.tags.get("churn.champion_after") for v in versions}
        rows = []
        for version in versions:
            tags = version.tags
            decision = {
                key: json.loads(tags[f"churn.decision.{key}"])
                for key in DECISION_FIELDS
                if f"churn.decision.{key}" in tags
            }
            own = tags.get("churn.model_version")
            names = aliases.get(str(version.version), [])
            if CHAMPION in names:
                status = CHAMPION
            elif own in ever_champion:
                status = "retired"
            elif CHALLENGER in names:
                status = CHALLENGER
            else:
                status = "rejected"
            rows.append(
                {
                    "registered_model": self.name,
                    "registry_version": int(version.version),
                    "model_version": own,
                    "data_cutoff": tags.get("churn.data_cutoff"),
                    "status": status,
                    "is_champion": CHAMPION in names,
                    "is_promoted": decision.get("promoted"),
                    "decision_reason": decision.get("reason"),
                    "champion_before": tags.get("churn.champion_before") or None,
                    "champion_after": tags.get("churn.champion_after"),
                    **{
                        key: decision.get(key)
                        for key in DECISION_FIELDS
                        if key not in ("promoted", "reason")
                    },
                    "artifact_path": tags.get("churn.artifact_path"),
                    "holdout_artifact_path": tags.get("churn.holdout_artifact_path") or None,
                    "model_uri": f"models:/{self.name}/{version.version}",
                    "registered_at": pd.Timestamp(
                        version.creation_timestamp, unit="ms"
                    ).isoformat(),
                }
            )
        return pd.DataFrame(rows, columns=[name for name, _ in REGISTRY_SCHEMA])
