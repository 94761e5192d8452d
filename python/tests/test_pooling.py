"""The SQL pooling (macro eb_pool_hazards) equals an independent numpy computation of the formulas
in docs/survival.md on every group of the bundled sample, and it does what it is for: small
partitions borrow, large ones keep their own Kaplan-Meier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pooling_reference import pool

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
