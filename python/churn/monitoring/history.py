"""What the monitoring history models compute at each data cutoff (export month).

- `prospective_metrics`: the served version judged on players it scored before their label
  existed, once the label has matured (H - 1 + K months after the FTD month), beside the
  retrospective metrics of the build's own model.
- `performance_estimates`: for each cohort scored while unlabelled, the AUC and base rate expected
  from the probabilities alone, and the realised figures once the labels are known.
- `feature_drift`: PSI of the features of the newest cohorts against the serving model's
  training cohorts, and the newest cohorts' mean probability.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from churn.classifier.metrics import (
    bootstrap_weights,
    evaluate_slice,
    stable_seed,
    weighted_roc_auc,
)
from churn.classifier.model import DEFAULT_SEED
from churn.frames import conform
from churn.monitoring import drift as psi
from churn.monitoring.champion import champion_at
from churn.monitoring.estimation import (
    auc_sampling_sd,
    expected_base_rate,
    expected_roc_auc,
    expected_roc_auc_sd,
)

ALL = "_all"
Z95 = 1.959964


@dataclass(frozen=True)
class MonitoringSettings:
    """Label definition and alert thresholds (dbt vars, through each model's config.meta)."""

    quick_churn_months: int = 3
    churn_inactive_months: int = 3
    decision_month: int = 0
    psi_threshold: float = 0.2
    drift_min_players: int = 200
    calibration_tolerance: float = 0.03
    quarantine_ratio: float = 3.0
    quarantine_min_share: float = 0.01
    quarantine_trailing_cutoffs: int = 6
    bootstrap_samples: int = 200
    seed: int = DEFAULT_SEED

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> MonitoringSettings:
        values: dict[str, Any] = {}
        for name, default in asdict(cls()).items():
            raw = meta.get(name)
            if raw is not None and raw != "":
                values[name] = type(default)(json.loads(raw) if isinstance(raw, str) else raw)
        return cls(**values)

    @property
    def maturity_months(self) -> int:
        """Months after the FTD month until the quick-churn label is known."""
        return self.quick_churn_months - 1 + self.churn_inactive_months


def _month(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


def _window(
    cutoff: Any, previous: Any | None, lag_months: int
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(exclusive start, inclusive end) of the FTD months that crossed `lag_months` since the
    previous cutoff; only the cutoff's own month when there is no previous one."""
    end = _month(cutoff) - pd.DateOffset(months=lag_months)
    start = (
        _month(previous) - pd.DateOffset(months=lag_months)
        if previous is not None
        else end - pd.DateOffset(months=1)
    )
    return start, end


def previous_cutoff(cutoffs: pd.Series, cutoff: Any) -> Any | None:
    """The latest cutoff before `cutoff` among `cutoffs` (None if there is none)."""
    earlier = [
        value for value in pd.to_datetime(cutoffs).dropna().unique() if value < pd.Timestamp(cutoff)
    ]
    return max(earlier) if earlier else None


def _partner_groups(frame: pd.DataFrame, keys: list[str]):
    """Groups by `keys` and partner, plus the same groups over all partners (`_all`)."""
    everyone = frame.assign(partner_id=ALL)
    return pd.concat([everyone, frame]).groupby([*keys, "partner_id"], sort=True)


# --- prospective and retrospective metrics -------------------------------------------------

METRICS_SCHEMA: list[tuple[str, str]] = [
    ("data_cutoff", "date"),
    ("evaluation_type", "object"),
    ("model_version", "object"),
    ("partner_id", "object"),
    ("ftd_month", "date"),
    ("scored_at_cutoff", "date"),
    ("n_players", "int64"),
    ("n_quick_churners", "int64"),
    ("base_rate", "float64"),
    ("mean_probability", "float64"),
    ("calibration_in_the_large", "float64"),
    ("calibration_in_the_large_sd", "float64"),
    ("roc_auc", "float64"),
    ("roc_auc_lower", "float64"),
    ("roc_auc_upper", "float64"),
    ("expected_calibration_error", "float64"),
    ("calibration_slope", "float64"),
    ("retrospective_roc_auc", "float64"),
    ("retrospective_roc_auc_lower", "float64"),
    ("retrospective_roc_auc_upper", "float64"),
    ("retrospective_cohort_roc_auc_lower", "float64"),
    ("retrospective_cohort_roc_auc_upper", "float64"),
    ("is_auc_below_retrospective", "bool"),
    ("is_calibration_off", "bool"),
]


def first_scores(score_history: pd.DataFrame) -> pd.DataFrame:
    """Per player, the score of the first build that scored it while its label was unknown: the
    prediction made at the decision point, by the version serving then."""
    unlabelled = score_history[
        (score_history["data_split"] == "unlabelled")
        & score_history["quick_churn_probability"].notna()
    ]
    ordered = unlabelled.sort_values(["player_id", "data_cutoff"], kind="mergesort")
    return ordered.drop_duplicates("player_id", keep="first")


def prospective_metrics(
    score_history: pd.DataFrame,
    labels: pd.DataFrame,
    evaluation: pd.DataFrame,
    registry: pd.DataFrame,
    cutoff: Any,
    settings: MonitoringSettings,
) -> pd.DataFrame:
    """Rows of METRICS_SCHEMA for this cutoff: `retrospective` (the build's model on its test
    cohorts, overall and per partner) and `prospective` (each cohort whose label matured since
    the previous cutoff, judged against the scores made before the label existed)."""
    rows: list[dict[str, Any]] = []
    retro = evaluation[
        evaluation["is_default"].astype(bool)
        & (evaluation["data_split"] == "test")
        & evaluation["slice_type"].isin(["overall", "partner"])
    ]
    for _, row in retro.iterrows():
        rows.append(
            {
                "evaluation_type": "retrospective",
                **{
                    key: row[key]
                    for key in [
                        "model_version",
                        "partner_id",
                        "n_players",
                        "n_quick_churners",
                        "base_rate",
                        "mean_probability",
                        "roc_auc",
                        "roc_auc_lower",
                        "roc_auc_upper",
                        "expected_calibration_error",
                        "calibration_slope",
                    ]
                },
            }
        )
    previous = previous_cutoff(score_history["data_cutoff"], cutoff)
    start, end = _window(cutoff, previous, settings.maturity_months)
    scored = first_scores(score_history)
    scored = scored[
        (pd.to_datetime(scored["ftd_month"]) > start) & (pd.to_datetime(scored["ftd_month"]) <= end)
    ]
    known = labels.loc[labels["is_label_known"].astype(bool), ["player_id", "is_quick_churn"]]
    # The label as known now, not as it was (unknown) when the player was scored.
    scored = scored.drop(columns=["is_quick_churn", "is_label_known"], errors="ignore")
    matured = scored.merge(known, on="player_id", how="inner")
    retrospective = registry.set_index("model_version") if len(registry) else None
    for (version, ftd_month, scored_at, partner), group in _partner_groups(
        matured, ["model_version", "ftd_month", "data_cutoff"]
    ):
        y = group["is_quick_churn"].astype(int).to_numpy()
        p = group["quick_churn_probability"].to_numpy()
        weights = bootstrap_weights(
            len(y),
            settings.bootstrap_samples,
            stable_seed(settings.seed, "prospective", str(ftd_month), partner),
        )
        metrics, _ = evaluate_slice(y, p, weights)
        prospective_row = {
            "evaluation_type": "prospective",
            "model_version": version,
            "partner_id": partner,
            "ftd_month": ftd_month,
            "scored_at_cutoff": scored_at,
            **metrics.as_dict(),
            # The sampling sd of the observed rate if the probabilities are right.
            "calibration_in_the_large_sd": math.sqrt(float((p * (1 - p)).sum())) / len(p),
        }
        if retrospective is not None and version in retrospective.index:
            entry = retrospective.loc[[version]].iloc[-1]
            prospective_row.update(
                retrospective_roc_auc=entry["roc_auc"],
                retrospective_roc_auc_lower=entry["roc_auc_lower"],
                retrospective_roc_auc_upper=entry["roc_auc_upper"],
            )
        rows.append(prospective_row)
    frame = pd.DataFrame(rows)
    if not len(frame):
        return conform(pd.DataFrame(columns=[name for name, _ in METRICS_SCHEMA]), METRICS_SCHEMA)
    frame["data_cutoff"] = _month(cutoff)
    frame = frame.reindex(columns=[name for name, _ in METRICS_SCHEMA])
    frame["calibration_in_the_large"] = frame["mean_probability"] - frame["base_rate"]
    prospective = frame["evaluation_type"] == "prospective"
    low, high = retrospective_cohort_interval(frame)
    frame["retrospective_cohort_roc_auc_lower"] = low.where(prospective)
    frame["retrospective_cohort_roc_auc_upper"] = high.where(prospective)
    enough = frame["n_players"] >= settings.drift_min_players
    frame["is_auc_below_retrospective"] = (
        prospective & enough & (frame["roc_auc"] < frame["retrospective_cohort_roc_auc_lower"])
    )
    # Off by more than the tolerance and by more than chance: a partner's cohort of a few hundred
    # players misses a calibrated rate by 0.03 about one month in three.
    gap = frame["calibration_in_the_large"].abs()
    frame["is_calibration_off"] = (
        prospective
        & enough
        & (gap > settings.calibration_tolerance)
        & (gap > Z95 * frame["calibration_in_the_large_sd"])
    )
    return conform(frame, METRICS_SCHEMA)


def retrospective_cohort_interval(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per row, the 95% range of the AUC one cohort of the row's size and base rate shows if the
    version performs as it did in its test: the retrospective AUC, its own uncertainty (from
    its bootstrap interval) and the cohort's sampling spread (Hanley-McNeil), combined. The
    retrospective interval alone is for the AUC of all test cohorts pooled, far more players
    than one monthly cohort: a cohort's AUC falls outside it by chance alone."""
    retro = frame["retrospective_roc_auc"].astype(float)
    retro_sd = (
        frame["retrospective_roc_auc_upper"].astype(float)
        - frame["retrospective_roc_auc_lower"].astype(float)
    ) / (2 * Z95)
    positives = frame["n_quick_churners"].astype(float)
    negatives = frame["n_players"].astype(float) - positives
    cohort_sd = pd.Series(
        [
            auc_sampling_sd(auc, pos, neg)
            for auc, pos, neg in zip(retro, positives, negatives, strict=True)
        ],
        index=frame.index,
        dtype=float,
    )
    half = Z95 * (retro_sd**2 + cohort_sd**2) ** 0.5
    return retro - half, retro + half


# --- label-free performance estimates --------------------------------------------------------

ESTIMATES_SCHEMA: list[tuple[str, str]] = [
    ("data_cutoff", "date"),
    ("model_version", "object"),
    ("partner_id", "object"),
    ("ftd_month", "date"),
    ("n_players", "int64"),
    ("estimated_roc_auc", "float64"),
    ("estimated_roc_auc_sd", "float64"),
    ("estimated_base_rate", "float64"),
    ("estimated_base_rate_lower", "float64"),
    ("estimated_base_rate_upper", "float64"),
    ("is_realised", "bool"),
    ("realised_roc_auc", "float64"),
    ("realised_base_rate", "float64"),
    ("roc_auc_error", "float64"),
    ("base_rate_error", "float64"),
]


def performance_estimates(score_history: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """One row per scoring cutoff, version, FTD cohort and partner (and `_all`) of the players
    scored while unlabelled: the expected AUC and base rate from their probabilities, and the
    realised ones once every player of the group has a known label."""
    scored = score_history[
        (score_history["data_split"] == "unlabelled")
        & score_history["quick_churn_probability"].notna()
    ]
    known = labels[["player_id", "is_label_known", "is_quick_churn"]]
    frame = scored.merge(known, on="player_id", how="left", suffixes=("_then", ""))
    rows = []
    for (cutoff, version, ftd_month, partner), group in _partner_groups(
        frame, ["data_cutoff", "model_version", "ftd_month"]
    ):
        p = group["quick_churn_probability"].to_numpy(dtype=float)
        rate, lower, upper = expected_base_rate(p)
        row = {
            "data_cutoff": cutoff,
            "model_version": version,
            "partner_id": partner,
            "ftd_month": ftd_month,
            "n_players": len(group),
            "estimated_roc_auc": expected_roc_auc(p),
            "estimated_roc_auc_sd": expected_roc_auc_sd(p),
            "estimated_base_rate": rate,
            "estimated_base_rate_lower": lower,
            "estimated_base_rate_upper": upper,
            "is_realised": bool(group["is_label_known"].fillna(False).astype(bool).all()),
        }
        if row["is_realised"]:
            y = group["is_quick_churn"].astype(int).to_numpy()
            realised_auc = float(weighted_roc_auc(y, p)) if 0 < y.sum() < len(y) else float("nan")
            row.update(
                realised_roc_auc=realised_auc,
                realised_base_rate=float(y.mean()),
                roc_auc_error=row["estimated_roc_auc"] - realised_auc,
                base_rate_error=rate - float(y.mean()),
            )
        rows.append(row)
    return conform(
        pd.DataFrame(rows, columns=[name for name, _ in ESTIMATES_SCHEMA]), ESTIMATES_SCHEMA
    )


# --- drift -----------------------------------------------------------------------------------

DRIFT_SCHEMA: list[tuple[str, str]] = [
    ("data_cutoff", "date"),
    ("metric", "object"),
    ("partner_id", "object"),
    ("subject", "object"),
    ("n_current", "int64"),
    ("n_reference", "int64"),
    ("value", "float64"),
    ("reference_value", "float64"),
    ("threshold", "float64"),
    ("has_enough_players", "bool"),
    ("is_alert", "bool"),
    ("reference_model_version", "object"),
]


def _feature_rows(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    scores: pd.DataFrame,
    registry: pd.DataFrame,
    cutoff: Any,
    previous: Any | None,
    settings: MonitoringSettings,
) -> pd.DataFrame:
    """PSI per feature and partner of the cohorts that reached the decision point since the
    previous cutoff, against the cohorts whose labels were known at the serving model's cutoff
    (the data it could be trained on); and those cohorts' mean probability against the
    reference's base rate."""
    champion = champion_at(registry, _month(cutoff).date()) if len(registry) else None
    reference_cutoff = _month(champion["data_cutoff"]) if champion is not None else _month(cutoff)
    last_reference = reference_cutoff - pd.DateOffset(months=settings.maturity_months)
    ftd = pd.to_datetime(features["ftd_month"])
    start, end = _window(cutoff, previous, settings.decision_month)
    reference = features[ftd <= last_reference]
    current = features[(ftd > start) & (ftd <= end)]
    rows = psi.feature_psi(reference, current, ALL)
    rows["metric"] = "feature_psi"
    rows["reference_value"] = 0.0
    rows["threshold"] = settings.psi_threshold
    # A PSI from a few players on either side is noise (a partner that joined lately has a
    # handful of reference players): both samples of the partner and feature need enough.
    enough = (rows["n_current"] >= settings.drift_min_players) & (
        rows["n_reference"] >= settings.drift_min_players
    )
    rows["has_enough_players"] = enough
    rows["is_alert"] = (rows["value"] > settings.psi_threshold) & enough
    scored = scores[scores["player_id"].isin(current["player_id"])]
    base = labels[labels["player_id"].isin(reference["player_id"])]
    # One group-by per side: a filter per partner is quadratic at 2,000 partitions.
    probability = scored["quick_churn_probability"].astype(float)
    base_rate = base["is_quick_churn"].astype(float)
    current_by_partner = probability.groupby(scored["partner_id"]).agg(["size", "mean"])
    reference_by_partner = base_rate.groupby(base["partner_id"]).agg(["size", "mean"])
    cohort_rows = []
    for partner in [ALL, *sorted(set(scored["partner_id"]))]:
        if partner == ALL:
            n_current, value = len(probability), probability.mean()
            n_reference, reference_value = len(base_rate), base_rate.mean()
        else:
            n_current, value = current_by_partner.loc[partner]
            n_reference, reference_value = (
                reference_by_partner.loc[partner]
                if partner in reference_by_partner.index
                else (0, float("nan"))
            )
        cohort_rows.append(
            {
                "metric": "cohort_mean_probability",
                "partner_id": partner,
                "subject": "newest cohorts",
                "n_current": int(n_current),
                "n_reference": int(n_reference),
                "value": value,
                "reference_value": reference_value,
                "has_enough_players": min(n_current, n_reference) >= settings.drift_min_players,
                "is_alert": False,
            }
        )
    out = pd.concat([rows, pd.DataFrame(cohort_rows)], ignore_index=True)
    out["reference_model_version"] = champion["model_version"] if champion is not None else None
    return out


def feature_drift(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    scores: pd.DataFrame,
    registry: pd.DataFrame,
    score_history: pd.DataFrame,
    cutoff: Any,
    settings: MonitoringSettings,
) -> pd.DataFrame:
    """Rows of DRIFT_SCHEMA for this cutoff: feature PSI and the newest cohorts' mean
    probability (the quarantine shares are computed in SQL by `churn_drift`)."""
    previous = previous_cutoff(score_history["data_cutoff"], cutoff)
    frame = _feature_rows(features, labels, scores, registry, cutoff, previous, settings)
    frame["data_cutoff"] = _month(cutoff)
    return conform(frame, DRIFT_SCHEMA)
