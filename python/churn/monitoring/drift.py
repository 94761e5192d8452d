"""Population stability index of model features against the training reference, per partner.

PSI = sum over bins of (current share - reference share) x ln(current share / reference share).
Numeric features are cut at the reference deciles; categories keep the reference's most common
levels and pool the rest; a missing value is a bin of its own. 0.1 is a moderate shift, 0.2 large.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from churn.classifier.features import FEATURE_SCHEMA

# A new cohort has one calendar month and the latest launch age by construction: no drift signal.
CALENDAR_FEATURES = ("ftd_calendar_month", "months_since_launch")
PSI_FEATURES = tuple(
    name for name in FEATURE_SCHEMA if name not in CALENDAR_FEATURES and name != "partner_id"
)
N_BINS = 10
MAX_CATEGORIES = 20
# Floor of a bin share, so an empty bin gives a large but finite PSI.
MIN_SHARE = 1e-4
MISSING = "_missing"
OTHER = "_other"


def _bins(reference: pd.Series, current: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Bin labels of both samples, learned from the reference."""
    if kind == "category":
        ref_text = reference.astype(object).where(reference.notna(), MISSING).astype(str)
        cur_text = current.astype(object).where(current.notna(), MISSING).astype(str)
        # Ties in the counts are broken by the category itself, so the kept set never depends
        # on the order the rows arrived in.
        counts = ref_text.value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = {category for category, _ in ranked[:MAX_CATEGORIES]}
        return (
            ref_text.where(ref_text.isin(kept), OTHER).to_numpy(),
            cur_text.where(cur_text.isin(kept), OTHER).to_numpy(),
        )
    ref_values = pd.to_numeric(reference, errors="coerce").astype("float64").to_numpy()
    cur_values = pd.to_numeric(current, errors="coerce").astype("float64").to_numpy()
    finite = ref_values[np.isfinite(ref_values)]
    edges = (
        np.unique(np.quantile(finite, np.linspace(0, 1, N_BINS + 1)[1:-1]))
        if len(finite)
        else np.array([])
    )

    def label(values: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(edges, values, side="right").astype(object)
        codes[~np.isfinite(values)] = MISSING
        return codes.astype(str)

    return label(ref_values), label(cur_values)


def population_stability_index(reference: pd.Series, current: pd.Series, kind: str) -> float:
    """PSI of `current` against `reference` (NaN when either is empty)."""
    if not len(reference) or not len(current):
        return float("nan")
    ref_bins, cur_bins = _bins(reference, current, kind)
    levels = sorted(set(ref_bins) | set(cur_bins))
    ref_observed = pd.Series(ref_bins).value_counts(normalize=True).reindex(levels, fill_value=0)
    cur_observed = pd.Series(cur_bins).value_counts(normalize=True).reindex(levels, fill_value=0)
    ref_share = np.maximum(ref_observed.to_numpy(), MIN_SHARE)
    cur_share = np.maximum(cur_observed.to_numpy(), MIN_SHARE)
    # fsum: exact, so the order of the levels cannot move the last digit.
    return math.fsum((cur_share - ref_share) * np.log(cur_share / ref_share))


def feature_psi(reference: pd.DataFrame, current: pd.DataFrame, all_label: str) -> pd.DataFrame:
    """One row per partner (and `all_label` over all partners) and feature: n_reference,
    n_current, psi. Partners are compared with their own reference rows."""
    rows = []
    partners = sorted(set(current["partner_id"]))
    groups = [(all_label, reference, current)] + [
        (
            partner,
            reference[reference["partner_id"] == partner],
            current[current["partner_id"] == partner],
        )
        for partner in partners
    ]
    for partner, ref, cur in groups:
        for feature in PSI_FEATURES:
            rows.append(
                {
                    "partner_id": partner,
                    "subject": feature,
                    "n_reference": len(ref),
                    "n_current": len(cur),
                    "value": population_stability_index(
                        ref[feature], cur[feature], FEATURE_SCHEMA[feature]
                    ),
                }
            )
    return pd.DataFrame(
        rows, columns=["partner_id", "subject", "n_reference", "n_current", "value"]
    )
