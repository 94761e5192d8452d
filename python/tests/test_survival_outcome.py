"""fct_player_lifetimes is THE survival outcome: lifelines fitted on it exactly as its column docs
say (durations = duration_months, event = is_churned, entry = entry_month) reproduces the project's
own Kaplan-Meier to 1e-9 on every partition, on the bundled sample and on an export where most
players deposited before the data window (left truncation)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from churn.simulate import simulate, write_export
from churn.simulate.config import preset
from dbt_harness import run_dbt
from lifelines import KaplanMeierFitter


def fit_as_documented(players: pd.DataFrame) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(
        players["duration_months"], players["is_churned"], entry=players["entry_month"]
    )


def assert_reproduced(lifetimes: pd.DataFrame, curves: pd.DataFrame, survival: str) -> int:
    """Fits every partition of `lifetimes` and compares with `curves`; returns the partitions."""
    checked = 0
    for (partner_id, geo), players in lifetimes.groupby(["partner_id", "geo"]):
        ours = curves[(curves["partner_id"] == partner_id) & (curves["geo"] == geo)]
        ours = ours.set_index("month_number")[survival].dropna()
        expected = fit_as_documented(players).survival_function_.iloc[:, 0]
        expected = expected.reindex(ours.index, method="ffill").fillna(1.0)
        np.testing.assert_allclose(
            ours.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9, err_msg=f"{partner_id}/{geo}"
        )
        checked += 1
    return checked


def test_lifelines_on_the_lifetimes_reproduces_the_curves_raw_survival(sample_build):
    lifetimes = sample_build.frame("""
        select partner_id, geo, entry_month, duration_months, is_churned
        from marts.fct_player_lifetimes""")
    curves = sample_build.frame("""
        select partner_id, geo, month_number, raw_survival from marts.churn_survival_curves
        where pooling_level = 'partition' and segment_type = 'all'""")
    assert len(curves) > 0
    assert (
        assert_reproduced(lifetimes, curves, "raw_survival")
        == lifetimes.groupby(["partner_id", "geo"]).ngroups
    )


def test_censored_players_leave_the_risk_set_when_churn_stops_being_decidable(sample_build):
    censored = sample_build.frame("""
        select entry_month, duration_months, last_active_month, followup_months,
               churn_inactive_months as k, survival_months
        from marts.fct_player_lifetimes where not is_churned""")
    assert len(censored) > 1000
    assert censored["survival_months"].isna().all()
    decidable = np.minimum(
        censored["last_active_month"], censored["followup_months"] - censored["k"] + 1
    )
    expected = np.maximum(censored["entry_month"], decidable.fillna(censored["entry_month"]))
    np.testing.assert_array_equal(censored["duration_months"], expected)


@pytest.fixture(scope="module")
def truncated_build(tmp_path_factory: pytest.TempPathFactory):
    """A simulated export whose window starts in 2023-01: about half the rows belong to players
    who deposited before it."""
    workdir = tmp_path_factory.mktemp("left_truncated")
    config = replace(preset("tiny", start="2023-01", end="2024-12"), n_players=3000)
    export = workdir / "activity.parquet"
    write_export(simulate(config).export_table, export)
    run = run_dbt(
        ["build", "--select", "+int_survival__kaplan_meier", "--indirect-selection", "cautious"],
        workdir,
        {"raw_activity_path": str(export)},
    )
    assert run.returncode == 0, run.output[-4000:]
    return run


def test_lifelines_on_the_lifetimes_reproduces_the_kaplan_meier_with_late_entry(truncated_build):
    lifetimes = truncated_build.frame("""
        select partner_id, geo, entry_month, duration_months, is_churned, is_left_truncated
        from marts.fct_player_lifetimes""")
    assert lifetimes["is_left_truncated"].mean() > 0.2
    assert (lifetimes["entry_month"] > 0).sum() > 300
    curves = truncated_build.frame("""
        select partner_id, geo, month_number, survival from intermediate.int_survival__kaplan_meier
        where cutoff_offset_months = 0 and outcome_as_of = 'cutoff'
          and pooling_level = 'partition' and segment_type = 'all'""")
    assert (
        assert_reproduced(lifetimes, curves, "survival")
        == lifetimes.groupby(["partner_id", "geo"]).ngroups
    )
