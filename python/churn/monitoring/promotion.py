"""The promotion rule, in one place: does the challenger replace the champion?

The challenger and the champion score the same test players; the challenger is promoted when
- its ROC-AUC is not worse than the champion's beyond the paired bootstrap 95% interval (the
  interval's upper bound of challenger - champion is at least 0),
- its expected calibration error is at most `max_ece`, or at most the champion's on the same
  players (a champion that misses the target cannot hold out a better-calibrated challenger),
- its calibration slope lies within `slope_range`, or is no further from 1 than the champion's.
Without a champion the first challenger serves (nothing else could), and the reason says which
checks it failed, if any.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from churn.classifier.metrics import (
    bootstrap_weights,
    evaluate_slice,
    paired_difference,
    stable_seed,
)
from churn.classifier.model import DEFAULT_SEED
from churn.classifier.training import TrainingSettings


@dataclass(frozen=True)
class PromotionRule:
    """Thresholds of the rule (dbt vars `monitoring_promotion_*`)."""

    max_ece: float = 0.02
    slope_range: tuple[float, float] = (0.8, 1.2)
    bootstrap_samples: int = TrainingSettings.bootstrap_samples
    seed: int = DEFAULT_SEED

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> PromotionRule:
        """Reads values rendered by dbt (possibly as text); missing keys keep their defaults."""
        values: dict[str, Any] = {}
        for name, default in asdict(cls()).items():
            raw = meta.get(name)
            if raw is None or raw == "":
                continue
            if isinstance(default, tuple):
                parsed = json.loads(raw) if isinstance(raw, str) else raw
                values[name] = tuple(float(value) for value in parsed)
            else:
                values[name] = type(default)(raw)
        return cls(**values)


@dataclass(frozen=True)
class Decision:
    """The outcome of the rule for one challenger, with the figures it rests on."""

    promoted: bool
    reason: str
    n_test_players: int
    roc_auc: float
    roc_auc_lower: float
    roc_auc_upper: float
    expected_calibration_error: float
    calibration_slope: float
    champion_roc_auc: float
    roc_auc_difference: float
    roc_auc_difference_lower: float
    roc_auc_difference_upper: float


def decide(
    labels: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray | None,
    rule: PromotionRule,
) -> Decision:
    """Applies the rule on the test players' labels and both models' probabilities (champion
    None when there is none yet)."""
    labels = np.asarray(labels, dtype=int)
    weights = bootstrap_weights(
        len(labels), rule.bootstrap_samples, stable_seed(rule.seed, "promote")
    )
    metrics, draws = evaluate_slice(labels, challenger, weights)
    champion_metrics = champion_draws = None
    if champion is not None:
        champion_metrics, champion_draws = evaluate_slice(labels, champion, weights)
    checks = []
    # Calibration is judged against the target, or against the champion on the same players when
    # the champion misses the target too: a challenger better calibrated than the champion that
    # keeps serving is never turned down for a target neither meets.
    ece = metrics.expected_calibration_error
    champion_ece = champion_metrics.expected_calibration_error if champion_metrics else np.nan
    if not (ece <= rule.max_ece or ece <= champion_ece):
        checks.append(
            f"ECE {ece:.4f} above {rule.max_ece}"
            + (f" and above the champion's {champion_ece:.4f}" if champion_metrics else "")
        )
    low, high = rule.slope_range
    slope = metrics.calibration_slope
    champion_slope = champion_metrics.calibration_slope if champion_metrics else np.nan
    if not (low <= slope <= high or abs(slope - 1) <= abs(champion_slope - 1)):
        checks.append(
            f"calibration slope {slope:.3f} outside {low}-{high}"
            + (
                f" and further from 1 than the champion's {champion_slope:.3f}"
                if champion_metrics
                else ""
            )
        )
    difference = (float("nan"),) * 3
    champion_auc = float("nan")
    if champion_metrics is not None and champion_draws is not None:
        champion_auc = champion_metrics.roc_auc
        difference = paired_difference(metrics.roc_auc, champion_auc, draws, champion_draws)
        if not difference[2] >= 0:
            checks.append(
                f"AUC {difference[0]:+.4f} vs the champion, interval "
                f"[{difference[1]:+.4f}, {difference[2]:+.4f}] entirely below 0"
            )
    if champion is None:
        promoted = True
        reason = "first version: no champion yet" + (
            f" (serving despite: {'; '.join(checks)})" if checks else ""
        )
    elif checks:
        promoted, reason = False, "kept the champion: " + "; ".join(checks)
    else:
        promoted = True
        reason = (
            f"promoted: AUC {difference[0]:+.4f} vs the champion [{difference[1]:+.4f}, "
            f"{difference[2]:+.4f}], ECE {metrics.expected_calibration_error:.4f}, slope "
            f"{metrics.calibration_slope:.3f}"
        )
    return Decision(
        promoted=promoted,
        reason=reason,
        n_test_players=len(labels),
        roc_auc=metrics.roc_auc,
        roc_auc_lower=metrics.roc_auc_lower,
        roc_auc_upper=metrics.roc_auc_upper,
        expected_calibration_error=metrics.expected_calibration_error,
        calibration_slope=metrics.calibration_slope,
        champion_roc_auc=champion_auc,
        roc_auc_difference=difference[0],
        roc_auc_difference_lower=difference[1],
        roc_auc_difference_upper=difference[2],
    )
