"""The SQL Kaplan-Meier (survival, Greenwood log-log bands, at risk) equals lifelines'
KaplanMeierFitter with late entry, on every partition of the bundled sample, and the survival SQL
tables come out bit for bit the same in every build."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter


@pytest.fixture(scope="module")
def partitions(sample_build):
    with duckdb.connect(str(sample_build.database), read_only=True) as connection:
        observations = connection.sql("""
            select partner_id, geo, entry_month, duration_months, is_churned
            from intermediate.int_survival__observations
            where cutoff_offset_months = 0 and outcome_as_of = 'cutoff'""").df()
        curves = connection.sql("""
            select partner_id, geo, month_number, n_at_risk, n_events, survival,
                   survival_lower, survival_upper
            from intermediate.int_survival__kaplan_meier
            where cutoff_offset_months = 0 and outcome_as_of = 'cutoff'
              and pooling_level = 'partition' and segment_type = 'all'""").df()
    return observations, curves


def test_sample_has_many_partitions(partitions):
    observations, curves = partitions
    assert observations.groupby(["partner_id", "geo"]).ngroups >= 12
    assert (
        curves.groupby(["partner_id", "geo"]).ngroups
        == observations.groupby(["partner_id", "geo"]).ngroups
    )


def test_kaplan_meier_matches_lifelines_on_every_partition(partitions):
    observations, curves = partitions
    for (partner_id, geo), players in observations.groupby(["partner_id", "geo"]):
        fitter = KaplanMeierFitter().fit(
            players["duration_months"], players["is_churned"], entry=players["entry_month"]
        )
        ours = curves[(curves.partner_id == partner_id) & (curves.geo == geo)].set_index(
            "month_number"
        )
        months = ours.index.to_numpy()
        expected = fitter.survival_function_.reindex(months, method="ffill").iloc[:, 0]
        bands = fitter.confidence_interval_.reindex(months, method="ffill")
        np.testing.assert_allclose(
            ours["survival"], expected, atol=1e-9, err_msg=f"{partner_id}/{geo}"
        )
        np.testing.assert_allclose(ours["survival_lower"], bands.iloc[:, 0], atol=1e-9)
        np.testing.assert_allclose(ours["survival_upper"], bands.iloc[:, 1], atol=1e-9)
        # lifelines lists entrants at t among those at risk at t, but leaves them out of the
        # estimate.
        table = fitter.event_table
        at_risk = (table["at_risk"] - table["entrance"]).reindex(months)
        has_row = at_risk.notna() & (table["observed"].reindex(months) > 0)
        np.testing.assert_array_equal(ours.loc[has_row.to_numpy(), "n_at_risk"], at_risk[has_row])
        np.testing.assert_array_equal(
            ours.loc[has_row.to_numpy(), "n_events"], table["observed"].reindex(months)[has_row]
        )


def test_every_partition_starts_at_one_and_never_rises(partitions):
    _, curves = partitions
    for _, curve in curves.sort_values("month_number").groupby(["partner_id", "geo"]):
        steps = np.diff(np.concatenate([[1.0], curve["survival"].to_numpy()]))
        assert (steps <= 1e-12).all()


def test_pooled_hazards_shrink_small_partitions_more(sample_build):
    weights = pd.DataFrame(
        sample_build.query("""
        select n_players, avg(pooling_weight) from intermediate.int_survival__pooled_hazards
        where cutoff_offset_months = 0 and pooling_level = 'partition' and segment_type = 'all'
          and month_number between 1 and 6
        group by partner_id, geo, n_players"""),
        columns=["n_players", "weight"],
    )
    small = weights[weights.n_players < 300]["weight"].mean()
    large = weights[weights.n_players >= 2000]["weight"].mean()
    assert small < large
