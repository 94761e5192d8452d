"""Champion and challenger: what the `churn_model_registry` model runs on every build, and what
the scoring model asks to find the version that serves.

The build's trained model is the challenger. It is registered in MLflow, compared with the
champion that served before this cutoff on the same test players, and promoted only if the rule
in `promotion.py` holds. Scores always come from the champion after that decision.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from churn.classifier.scoring import split_of_cohorts
from churn.classifier.training import TrainingSettings, default_artifact_path
from churn.frames import conform
from churn.monitoring import served_model
from churn.monitoring.promotion import PromotionRule, decide
from churn.monitoring.registry import REGISTRY_SCHEMA, Registry

logger = logging.getLogger(__name__)


def _test_players(challenger: Any, features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The labelled players of the challenger's test cohorts (as its card lists them)."""
    labelled = labels[labels["is_label_known"].astype(bool)]
    in_test = split_of_cohorts(challenger, labelled["ftd_month"]) == "test"
    test = labelled.loc[in_test, ["player_id", "is_quick_churn"]]
    frame = features.merge(test, on="player_id", how="inner", validate="one_to_one")
    return frame.sort_values("player_id", kind="mergesort").reset_index(drop=True)


def champion_before(registry: pd.DataFrame, cutoff: str) -> str | None:
    """The model version serving after the latest decision taken before `cutoff`."""
    decided = registry[registry["champion_after"].notna()]
    earlier = decided[pd.to_datetime(decided["data_cutoff"]) < pd.Timestamp(cutoff)]
    if not len(earlier):
        return None
    latest = earlier.sort_values(["data_cutoff", "registry_version"]).iloc[-1]
    return str(latest["champion_after"])


def champion_at(registry: pd.DataFrame, cutoff: Any) -> pd.Series | None:
    """The registry row of the version serving at `cutoff`: the champion after the latest
    decision taken at or before it (None before any decision)."""
    decided = registry[registry["champion_after"].notna()]
    upto = decided[pd.to_datetime(decided["data_cutoff"]) <= pd.Timestamp(cutoff)]
    if not len(upto):
        return None
    serving = upto.sort_values(["data_cutoff", "registry_version"]).iloc[-1]["champion_after"]
    rows = registry[registry["model_version"] == serving]
    return rows.iloc[-1] if len(rows) else None


def champion_pointer(registry: pd.DataFrame, cutoff: Any) -> pd.DataFrame:
    """A one-row frame in the shape the scoring function reads from the evaluation
    (`is_default`, `artifact_path`, `holdout_artifact_path`), pointing at the champion serving at
    `cutoff`; no row when no model serves."""
    row = champion_at(registry, cutoff)
    rows = [] if row is None or row["artifact_path"] is None else [row]
    return pd.DataFrame(
        {
            "is_default": [True] * len(rows),
            "artifact_path": [entry["artifact_path"] for entry in rows],
            "holdout_artifact_path": [entry.get("holdout_artifact_path") for entry in rows],
        }
    )


def promote_challenger(
    evaluation: pd.DataFrame,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    rule: PromotionRule,
    artifact_dir: str,
    registered_model: str,
    jobs: int = 1,
) -> pd.DataFrame:
    """Registers this build's model, applies the promotion rule once per cutoff, moves the
    aliases and returns the registry as rows of REGISTRY_SCHEMA. Models predict on `jobs`
    threads."""
    # An empty var keeps the classifier's default folder.
    registry = Registry(artifact_dir or TrainingSettings.artifact_dir, registered_model)
    path = default_artifact_path(evaluation)
    if path is not None:
        challenger = served_model.load(path, jobs)
        existing = registry.find(served_model.version(challenger))
        if existing is None or existing.tags.get("churn.decided") != "true":
            holdout = default_artifact_path(evaluation, "holdout_artifact_path")
            _decide_and_record(registry, challenger, path, holdout, features, labels, rule, jobs)
    else:
        logger.warning("no model was trained at this cutoff: the champion keeps serving")
    registry.move_aliases()
    frame = registry.frame()
    serving = frame[frame["is_champion"].astype(bool)] if len(frame) else frame
    if len(serving) and serving["artifact_path"].iloc[0]:
        served_model.point_current_at(serving["artifact_path"].iloc[0])
    return conform(frame, REGISTRY_SCHEMA)


def _decide_and_record(
    registry: Registry,
    challenger: Any,
    path: str,
    holdout: str | None,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    rule: PromotionRule,
    jobs: int,
) -> None:
    cutoff = served_model.data_cutoff(challenger)
    challenger_version = served_model.version(challenger)
    before = champion_before(registry.frame(), cutoff)
    test = _test_players(challenger, features, labels)
    y = test["is_quick_churn"].astype(int).to_numpy()
    # Where a held-out fit exists (the served model refitted on every labelled cohort has seen
    # the test players), both sides are compared through their held-out fits.
    challenger_p = served_model.probabilities(
        served_model.load(holdout, jobs) if holdout else challenger, test
    )
    champion_p: np.ndarray | None = None
    note = ""
    if before is not None and before != challenger_version:
        champion = registry.find(before)
        try:
            if champion is None:
                raise KeyError(f"{before} is not in the registry")
            tags = champion.tags
            model = served_model.load(
                tags.get("churn.holdout_artifact_path") or tags["churn.artifact_path"], jobs
            )
            champion_p = served_model.probabilities(model, test)
        except (served_model.ArtifactError, KeyError, AttributeError) as error:
            note = f"champion {before} could not be loaded ({error}); "
            before = None
    decision = decide(y, challenger_p, champion_p, rule)
    if note:
        decision = type(decision)(**{**decision.__dict__, "reason": note + decision.reason})
    version = registry.register(path, served_model.card(challenger), decision, holdout)
    # Without a champion the challenger is always promoted (`decide`).
    after = challenger_version if decision.promoted or before is None else before
    registry.record(version, decision, before, after)
    logger.info("cutoff %s: %s", cutoff, decision.reason)
