"""The SQL pooling (macro eb_pool_hazards) equals an independent numpy/pandas computation of the
formulas in docs/survival.md on every group of the bundled sample, and it does what it is for: small
partitions borrow, large ones keep their own Kaplan-Meier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SEGMENT_KEYS = ["cutoff_offset_months", "segment_type", "segment_value"]


def month_band(month: np.ndarray) -> np.ndarray:
    return np.select([month <= 3, month <= 12, month <= 24], [1, 2, 3], 4)


def pool(
    children: pd.DataFrame, parents: pd.DataFrame, full_credibility_events: float = 1082
) -> pd.DataFrame:
    """Pooled hazards of `children` (Kaplan-Meier rows with parent_partner_id / parent_geo) toward
    `parents` (partner_id, geo, month_number, parent_n_at_risk, parent_raw_hazard, parent_hazard,
    parent_prior_strength), one row per child and month."""
    parent_keys = [*SEGMENT_KEYS, "parent_partner_id", "parent_geo"]
    rows = children.merge(
        parents.rename(columns={"partner_id": "parent_partner_id", "geo": "parent_geo"}),
        on=[*parent_keys, "month_number"],
    )
    rows["band"] = month_band(rows["month_number"].to_numpy())
    own_events = rows.groupby([*parent_keys, "partner_id", "geo"])["n_events"].transform("sum")
    # The level is measured per band of months.
    band_keys = [*parent_keys, "band"]
    child_keys = [*parent_keys, "partner_id", "geo", "band"]
    n = rows["n_at_risk"].to_numpy(float)
    d = rows["n_events"].to_numpy(float)
    parent_n = rows["parent_n_at_risk"].to_numpy(float)
    parent_raw = rows["parent_raw_hazard"].to_numpy(float)

    # Level: gamma-Poisson relative risk against the parent's hazards.
    usable = (n > 0) & (parent_raw > 0)
    totals = (
        rows.assign(
            observed=np.where(usable, d, 0.0),
            expected=np.where(usable, n * parent_raw, 0.0),
            parent_expected=np.where(usable, parent_n * parent_raw, 0.0),
            usable=usable,
        )
        .groupby(child_keys)
        .agg(
            observed=("observed", "sum"),
            expected=("expected", "sum"),
            parent_expected=("parent_expected", "sum"),
            usable=("usable", "any"),
        )
        .reset_index()
    )
    totals = totals[totals["usable"]].copy()
    totals["share"] = totals["expected"] / totals["parent_expected"].replace(0, np.nan)
    positive = totals[totals["expected"] > 0].copy()
    positive["numerator"] = positive["expected"] * (
        (positive["observed"] / positive["expected"] - 1) ** 2
        - (1 - positive["share"]) / positive["expected"]
    )
    positive["denominator"] = positive["expected"] * (1 - positive["share"])
    spread = positive.groupby(band_keys)[["numerator", "denominator"]].sum().reset_index()
    spread["rr_variance"] = np.maximum(0.0, spread["numerator"]) / spread["denominator"].replace(
        0, np.nan
    )
    totals = totals.merge(spread[[*band_keys, "rr_variance"]], on=band_keys, how="left")
    inverse_a = totals["rr_variance"].fillna(0.0)
    totals["relative_risk"] = (totals["observed"] * inverse_a + 1) / (
        totals["expected"] * inverse_a + 1
    )
    totals["relative_risk_log_variance"] = inverse_a / (totals["observed"] * inverse_a + 1)
    rows = rows.merge(
        totals[[*child_keys, "relative_risk", "relative_risk_log_variance"]],
        on=child_keys,
        how="left",
    )
    rows["relative_risk"] = rows["relative_risk"].fillna(1.0)
    rows["relative_risk_log_variance"] = rows["relative_risk_log_variance"].fillna(0.0)
    rr = rows["relative_risk"].to_numpy(float)
    raw_prior = np.minimum(0.999, parent_raw * rr)
    prior = np.minimum(0.999, rows["parent_hazard"].to_numpy(float) * rr)

    # Shape: residual spread tau^2 on the log-odds scale per band of months.
    band = rows["band"].to_numpy()
    usable = (n > 0) & (raw_prior > 0) & (raw_prior < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        noise = (1 - n / parent_n) * raw_prior * (1 - raw_prior) / n
        numerator = n * ((d / n - raw_prior) ** 2 - noise)
        denominator = n * (1 - n / parent_n) * (raw_prior * (1 - raw_prior)) ** 2
    shape = (
        pd.DataFrame(
            {
                **{key: rows[key] for key in parent_keys},
                "band": band,
                "numerator": np.where(usable, numerator, 0.0),
                "denominator": np.where(usable, denominator, 0.0),
                "usable": usable,
            }
        )
        .groupby([*parent_keys, "band"])
        .agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            usable=("usable", "any"),
        )
        .reset_index()
    )
    shape = shape[shape["usable"]]
    shape["tau2"] = np.maximum(0.0, shape["numerator"]) / shape["denominator"].replace(0, np.nan)
    tau2 = (
        pd.DataFrame({**{key: rows[key] for key in parent_keys}, "band": band})
        .merge(shape[[*parent_keys, "band", "tau2"]], on=[*parent_keys, "band"], how="left")["tau2"]
        .to_numpy(float)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = np.where(
            np.isnan(tau2) | (prior <= 0),
            1e9,
            np.maximum(0.0, 1 / (np.maximum(tau2, 1e-9) * prior * (1 - prior)) - 1),
        )
    strength = np.where(np.isnan(prior), 0.0, strength)
    # Limited credibility: the prior's strength falls with the child's own churn events.
    strength = strength * np.maximum(0.0, 1 - own_events.to_numpy(float) / full_credibility_events)
    cap = np.maximum(0.0, np.nan_to_num(parent_n) - n) + np.nan_to_num(
        rows["parent_prior_strength"].to_numpy(float)
    )
    strength = np.minimum(strength, cap)
    rows["prior_strength_months"] = strength
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["pooled_hazard"] = np.where(
            n + strength > 0, (d + strength * prior) / (n + strength), prior
        )
        rows["pooling_weight"] = np.where(n > 0, n / (n + strength), 0.0)
    return rows


PARENT_COLUMNS = [
    "cutoff_offset_months", "segment_type", "segment_value", "partner_id", "geo", "month_number",
    "parent_n_at_risk", "parent_raw_hazard", "parent_hazard", "parent_prior_strength",
]  # fmt: skip
CHECKED = ["pooled_hazard", "prior_strength_months", "pooling_weight", "relative_risk"]


@pytest.fixture(scope="module")
def tables(sample_build):
    kaplan_meier = sample_build.frame("""
        select * from intermediate.int_survival__kaplan_meier where outcome_as_of = 'cutoff'""")
    pooled = sample_build.frame("select * from intermediate.int_survival__pooled_hazards")
    return kaplan_meier, pooled


def as_parents(frame: pd.DataFrame, hazard: str, prior_strength: pd.Series | float) -> pd.DataFrame:
    return frame.assign(
        parent_n_at_risk=frame["n_at_risk"],
        parent_raw_hazard=frame["hazard"],
        parent_hazard=frame[hazard],
        parent_prior_strength=prior_strength,
    )[PARENT_COLUMNS]


def compare(ours: pd.DataFrame, sql: pd.DataFrame, level: str) -> None:
    keys = ["cutoff_offset_months", "segment_type", "segment_value", "partner_id", "geo",
            "month_number"]  # fmt: skip
    sql = sql[sql["pooling_level"] == level]
    joined = ours.merge(sql, on=keys, suffixes=("_numpy", "_sql"), validate="one_to_one")
    assert len(joined) == len(sql) == len(ours)
    for column in CHECKED:
        np.testing.assert_allclose(
            joined[f"{column}_sql"].astype(float),
            joined[f"{column}_numpy"].astype(float),
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{level} {column}",
        )


def test_partner_pooling_matches_numpy(tables):
    kaplan_meier, pooled = tables
    top = kaplan_meier[kaplan_meier["pooling_level"] == "all"]
    partners = kaplan_meier[kaplan_meier["pooling_level"] == "partner"].assign(
        parent_partner_id="_all", parent_geo="_all"
    )
    compare(pool(partners, as_parents(top, "hazard", 0.0)), pooled, "partner")


def test_partition_pooling_matches_numpy_given_the_pooled_partners(tables):
    kaplan_meier, pooled = tables
    partners = pooled[pooled["pooling_level"] == "partner"]
    partitions = kaplan_meier[kaplan_meier["pooling_level"] == "partition"].assign(
        parent_partner_id=lambda frame: frame["partner_id"], parent_geo="_all"
    )
    parents = as_parents(partners, "pooled_hazard", partners["prior_strength_months"])
    compare(pool(partitions, parents), pooled, "partition")


def test_small_partitions_borrow_and_large_ones_keep_their_own_curve(tables):
    _, pooled = tables
    partitions = pooled[
        (pooled["pooling_level"] == "partition")
        & (pooled["segment_type"] == "all")
        & (pooled["cutoff_offset_months"] == 0)
        & (pooled["n_at_risk"] > 0)
    ]
    events = partitions.groupby(["partner_id", "geo"])["n_events"].transform("sum")
    small = partitions[events < 200]
    large = partitions[events >= 1082]
    assert len(small) and len(large)
    assert small["pooling_weight"].mean() < 0.8
    # From the full-credibility number of churn events on, the prior has no weight left.
    np.testing.assert_array_equal(large["prior_strength_months"], 0.0)
    np.testing.assert_allclose(large["pooled_hazard"], large["hazard"], rtol=1e-12)
