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


def _as_text(values: pd.Series) -> np.ndarray:
    """Category values as text, a missing value as MISSING."""
    text = values.to_numpy(dtype=object, copy=True)
    text[pd.isna(text)] = MISSING
    return text.astype(str)


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()


def _bins(reference: pd.Series, current: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Bin labels of both samples, learned from the reference."""
    if kind == "category":
        ref_text, cur_text = _as_text(reference), _as_text(current)
        # Ties in the counts are broken by the category itself, so the kept set never depends
        # on the order the rows arrived in.
        categories, counts = np.unique(ref_text, return_counts=True)
        ranked = sorted(
            zip(categories.tolist(), counts.tolist(), strict=True), key=lambda c: (-c[1], c[0])
        )
        kept = [category for category, _ in ranked[:MAX_CATEGORIES]]
        return (
            np.where(np.isin(ref_text, kept), ref_text, OTHER),
            np.where(np.isin(cur_text, kept), cur_text, OTHER),
        )
    ref_values, cur_values = _as_float(reference), _as_float(current)
    finite = ref_values[np.isfinite(ref_values)]
    edges = (
        np.unique(np.quantile(finite, np.linspace(0, 1, N_BINS + 1)[1:-1]))
        if len(finite)
        else np.array([])
    )

    def label(values: np.ndarray) -> np.ndarray:
        # The bin's index; a missing or infinite value is a bin of its own (-1).
        codes = np.searchsorted(edges, values, side="right")
        codes[~np.isfinite(values)] = -1
        return codes

    return label(ref_values), label(cur_values)


def population_stability_index(reference: pd.Series, current: pd.Series, kind: str) -> float:
    """PSI of `current` against `reference` (NaN when either is empty)."""
    if not len(reference) or not len(current):
        return float("nan")
    ref_bins, cur_bins = _bins(reference, current, kind)
    # One sorted pass over both samples' labels: the levels and each sample's counts per level.
    _, level = np.unique(np.concatenate([ref_bins, cur_bins]), return_inverse=True)
    n_levels = int(level.max()) + 1
    ref_counts = np.bincount(level[: len(ref_bins)], minlength=n_levels)
    cur_counts = np.bincount(level[len(ref_bins) :], minlength=n_levels)
    ref_share = np.maximum(ref_counts / len(ref_bins), MIN_SHARE)
    cur_share = np.maximum(cur_counts / len(cur_bins), MIN_SHARE)
    # fsum: exact, so the order of the levels cannot move the last digit.
    return math.fsum((cur_share - ref_share) * np.log(cur_share / ref_share))


def feature_psi(reference: pd.DataFrame, current: pd.DataFrame, all_label: str) -> pd.DataFrame:
    """One row per partner (and `all_label` over all partners) and feature: n_reference,
    n_current, psi. Partners are compared with their own reference rows."""
    rows = []
    # One split of each sample by partner (a filter per partner is quadratic at 2,000 partitions).
    reference_by_partner = {str(k): v for k, v in reference.groupby("partner_id", sort=False)}
    current_by_partner = {str(k): v for k, v in current.groupby("partner_id", sort=False)}
    groups = [(all_label, reference, current)] + [
        (
            partner,
            reference_by_partner.get(partner, reference.iloc[:0]),
            current_by_partner[partner],
        )
        for partner in sorted(current_by_partner)
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
