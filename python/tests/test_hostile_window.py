"""Thin exports: no rows, one month, a window too short to see a churn, every row bad. The build
either stops with a sentence from the window check or completes empty and balanced and says so."""

from __future__ import annotations

import pandas as pd
import pytest
from dbt_harness import run_dbt
from test_pipeline_hostile import COLUMNS, variant


def write_export(path, rows: list[list[str]]) -> str:
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    return str(path)


def run_window(tmp_path, export: str):
    return run_dbt(
        [
            "build",
            "--select",
            "+int_export_window",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "cautious",
        ],
        tmp_path / "work",
        {"raw_activity_path": export},
    )


def assert_stops_with(run, sentence: str) -> None:
    assert run.returncode != 0
    assert sentence in run.output, run.output[-3000:]
    assert "Traceback" not in run.output
    # The sentence is the message, not a failed data test further down.
    assert "Failure in test" not in run.output


def test_header_only_export_stops_with_a_sentence(tmp_path):
    export = write_export(tmp_path / "header.csv", [])
    assert_stops_with(run_window(tmp_path, export), "has no rows (only a header?)")


def test_single_month_export_stops_with_a_sentence(tmp_path):
    export = write_export(tmp_path / "one.csv", [variant(account_id=f"A{i}") for i in range(20)])
    assert_stops_with(
        run_window(tmp_path, export),
        "has no data window: of its 20 rows, 20 carry an activity month",
    )


@pytest.mark.parametrize("n_months", [2, 3])
def test_window_shorter_than_the_churn_rule_stops_with_a_sentence(tmp_path, n_months):
    rows = [
        variant(account_id=f"A{i}", activity_month=f"2023-{m:02d}-01")
        for i in range(5)
        for m in range(1, n_months + 1)
    ]
    export = write_export(tmp_path / "short.csv", rows)
    assert_stops_with(
        run_window(tmp_path, export),
        f"{n_months} month(s), too short to model; at least 4 months (churn_inactive_months + 1)",
    )


def test_export_where_every_row_is_bad_builds_empty_balanced_and_says_so(all_bad_build):
    # The export of 24 rows, all quarantined, and its build: conftest.all_bad_build.
    run = all_bad_build
    assert run.returncode == 0, run.output[-4000:]
    assert "No row of the partner export is clean: all 24 rows are quarantined" in run.output
    assert run.query(
        "select n_raw_rows, n_clean_rows, n_quarantined_rows, is_balanced, is_players_balanced "
        "from marts.dq_reconciliation"
    ) == [(24, 0, 24, True, True)]
    assert run.query("select count(*) from marts.fct_player_months") == [(0,)]
