"""The numbers the reports quote are the SQL's: each fact equals a query written here directly
over the warehouse tables (not the analyses, not a golden file), and the report prints it."""

from __future__ import annotations

import math
import string
from collections import Counter

import pandas as pd
import pytest
from churn.report import facts as report_facts
from churn.report import queries, text
from churn.report.facts import OneRow, compute_facts
from churn.report.reports import build_reports

# Each fact quoted in the text, and a query of the warehouse tables that gives it.
DIRECT_SQL = {
    "n_players": "select count(*) from marts.fct_player_lifetimes",
    "n_raw_rows": "select count(*) from staging.stg_partner__activity",
    "share_quarantined": "select (select count(*) from marts.dq_quarantine) "
    "/ (select count(*) from staging.stg_partner__activity)",
    "window_months": "select count(*) from intermediate.int_month_spine",
    "share_churned": "select avg(is_churned::int) from marts.fct_player_lifetimes",
    "largest_partition_players": "select max(n) from (select count(*) as n "
    "from marts.fct_player_lifetimes group by partner_id, geo)",
    "smallest_partition_players": "select min(n) from (select count(*) as n "
    "from marts.fct_player_lifetimes group by partner_id, geo)",
    "median_partition_players": "select median(n) from (select count(*) as n "
    "from marts.fct_player_lifetimes group by partner_id, geo)",
    "retention_12": "select avg(m.is_active::int) from marts.fct_player_months as m "
    "join marts.fct_player_lifetimes as l using (player_id) "
    "where not l.is_left_truncated and m.months_active = 12",
    "share_one_active_month": "select avg((active_months = 1)::int) "
    "from marts.fct_player_lifetimes where not is_left_truncated",
    "first_bet_never": "select avg((qp_date is null)::int) from intermediate.int_players "
    "where not is_left_truncated",
    "deposit_p50": "select quantile_cont(total_deposit, 0.5) from marts.fct_player_months "
    "where is_active",
    "problem_duplicate_rows": "select count(*) from marts.dq_quarantine "
    "where reason_code = 'duplicate'",
    "s12": "select survival_12 from marts.churn_survival_summary "
    "where pooling_level = 'all' and segment_type = 'all'",
    "hazard_1": "select hazard from marts.churn_survival_curves where pooling_level = 'all' "
    "and segment_type = 'all' and month_number = 1",
    "best_partner_s12": "select max(survival_12) from marts.churn_survival_summary "
    "where pooling_level = 'partner' and segment_type = 'all'",
    "backtest_partition_mae": "select avg(abs(predicted_survival - realised_survival)) "
    "from marts.churn_survival_backtest where pooling_level = 'partition' and is_extrapolated "
    "and realised_survival is not null",
    "test_auc": "select roc_auc from marts.churn_classifier_evaluation where is_default "
    "and data_split = 'test' and slice_type = 'overall'",
    "n_unlabelled": "select count(*) from marts.churn_quick_scores "
    "where data_split = 'unlabelled' and quick_churn_probability is not null",
    "rows_churn_quick_scores": "select count(*) from marts.churn_quick_scores",
}


@pytest.fixture(scope="module")
def sample_facts(sample_build) -> report_facts.Facts:
    return compute_facts(queries.run_analyses(sample_build.database))


@pytest.mark.parametrize("name", sorted(DIRECT_SQL))
def test_a_quoted_number_equals_sql_over_the_warehouse(sample_build, sample_facts, name: str):
    ((expected,),) = sample_build.query(DIRECT_SQL[name])
    assert name in sample_facts.values, sample_facts.errors
    assert math.isclose(float(sample_facts.values[name]), float(expected), rel_tol=1e-9), name


def test_the_report_prints_the_sql_numbers(sample_build, sample_facts) -> None:
    """The page shows what the SQL returned, formatted, nothing recomputed on the way."""
    ((n_players,), (share,)) = (
        sample_build.query(DIRECT_SQL["n_players"])[0],
        sample_build.query(DIRECT_SQL["share_quarantined"])[0],
    )
    ((auc,),) = sample_build.query(DIRECT_SQL["test_auc"])
    pages = build_reports(sample_build.database)
    assert f"{n_players:,} players" in pages["eda.html"]
    assert f"({share:.1%}) quarantined" in pages["eda.html"]
    assert f"ROC-AUC {auc:.3f}" in pages["models.html"]


def test_no_two_analyses_give_the_same_fact(sample_build) -> None:
    """A name read from two analyses would let one silently replace the other."""
    results = queries.run_analyses(sample_build.database)
    names: Counter[str] = Counter()
    for source in report_facts.SOURCES:
        frame = results[source.analysis].rows
        assert frame is not None, source.analysis
        names.update(list(source.read(frame)))
    assert [name for name, count in names.items() if count > 1] == []


def test_every_fact_analysis_returns_one_row(sample_build) -> None:
    one_row = [s.analysis for s in report_facts.SOURCES if isinstance(s, OneRow)]
    results = queries.run_analyses(sample_build.database, one_row)
    assert {name: len(results[name].frame) for name in one_row} == dict.fromkeys(one_row, 1)


def test_every_template_field_is_a_fact_on_the_sample(sample_facts) -> None:
    templates = [t for name in dir(text) if name.isupper() for t in _templates(getattr(text, name))]
    fields = {
        field
        for template in templates
        for _, field, _, _ in string.Formatter().parse(template)
        if field
    }
    assert sorted(fields - set(sample_facts.values)) == []


def _templates(value) -> list[str]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return []


@pytest.mark.parametrize("several", [True, False])
def test_partner_shares_are_quoted_only_when_there_are_several_partners(sample_build, several):
    """One partner holding 100% of the players is no finding: that export gets a plain sentence."""
    results = queries.run_analyses(sample_build.database, ["eda_partition_facts"])
    ((n_partners,),) = sample_build.query(
        "select count(distinct partner_id) from marts.fct_player_lifetimes"
    )
    assert bool(results["eda_partition_facts"].frame["has_several_partners"].iloc[0]) == (
        n_partners > 1
    )
    frame = results["eda_partition_facts"].frame.assign(has_several_partners=several)
    facts = compute_facts(
        {"eda_partition_facts": queries.QueryResult("eda_partition_facts", frame)}
    )
    overview = " ".join(text.bullets(text.EDA_OVERVIEW, facts))
    largest = frame["largest_partner"].iloc[0]
    assert (f"The largest partner, {largest}, holds" in overview) is several
    assert (f"The export has one partner, {largest}" in overview) is not several


@pytest.mark.parametrize("several", [True, False])
def test_figure_titles_group_by_partner_only_when_there_are_several(sample_build, several):
    from churn.report.reports import EDA_SECTIONS, figure_title

    results = queries.run_analyses(sample_build.database, ["eda_partition_facts"])
    frame = results["eda_partition_facts"].frame.assign(has_several_partners=several)
    facts = compute_facts(
        {"eda_partition_facts": queries.QueryResult("eda_partition_facts", frame)}
    )
    specs = {
        block.figure_id: block
        for section in EDA_SECTIONS
        for block in section.blocks
        if hasattr(block, "figure_id")
    }
    titles = [
        figure_title(specs[name], facts) for name in ("fig-monthly-volumes", "fig-state-volumes")
    ]
    largest = frame["largest_partner"].iloc[0]
    if several:
        assert titles == ["Monthly actives and FTDs by partner", "Players by state and partner"]
    else:
        assert titles == [
            f"Monthly actives and FTDs of {largest}",
            f"Players by state of {largest}",
        ]
    # Without the facts (the analysis failed), the titles read as on several partners.
    assert figure_title(specs["fig-monthly-volumes"], compute_facts({})).endswith("by partner")


@pytest.mark.parametrize(
    ("partners", "says"), [(["P07"], "partner P07"), (["P01", "P02"], "by partner")]
)
def test_volume_titles_name_the_one_partner_or_say_by_partner(partners, says):
    from churn.report import figures

    volumes = pd.DataFrame(
        [
            {"activity_month": month, "partner_id": partner, "n_active_players": 5, "n_ftds": 2}
            for month in ("2024-01-01", "2024-02-01")
            for partner in partners
        ]
    )
    drawn = figures.monthly_volumes({"eda_monthly_volumes": volumes})
    titles = [axis.get_title() for axis in drawn.axes]
    assert all(title.endswith(says) for title in titles), titles
    assert len(partners) > 1 or not any("by partner" in title for title in titles)
