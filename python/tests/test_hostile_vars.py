"""Vars and paths that reach SQL: an attacker's or a careless user's value is refused with a
sentence naming the var, or quoted as text; nothing is executed."""

from __future__ import annotations

import pandas as pd
import pytest
from dbt_harness import run_dbt
from test_pipeline_hostile import COLUMNS, variant

BUILD = [
    "build",
    "--select",
    "+int_activity__validated",
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
]


def write_export(folder, rows: list[list[str]], name: str = "export.csv", drop=()) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    frame = pd.DataFrame(rows, columns=COLUMNS).drop(columns=list(drop))
    frame.to_csv(path, index=False)
    return str(path)


def six_months(**changes: str) -> list[list[str]]:
    return [
        variant(account_id=f"B{i}", activity_month=f"2023-{m:02d}-01", **changes)
        for i in range(4)
        for m in range(1, 7)
    ]


def run_window(tmp_path, variables: dict):
    return run_dbt(BUILD, tmp_path / "work", variables)


@pytest.mark.parametrize(
    "partner_id",
    ["H' || (select 'PWNED') || '", "x'; drop table staging.stg_partner__activity; --"],
)
def test_partner_id_var_outside_its_character_set_is_refused(tmp_path, partner_id):
    export = write_export(tmp_path, six_months(), drop=["partner_id"])
    run = run_window(tmp_path, {"raw_activity_path": export, "partner_id": partner_id})
    assert run.returncode != 0
    assert "The var partner_id must be 1 to 64 letters, digits, '_' or '-'" in run.output
    # The sentence quotes the value as typed (not as \u0027 escapes).
    assert f'(got "{partner_id}")' in run.output
    assert "Traceback" not in run.output
    assert "Parser Error" not in run.output


def test_path_with_an_apostrophe_is_read(tmp_path):
    export = write_export(tmp_path / "o'brien's exports", six_months(), name="it's.csv")
    run = run_window(tmp_path, {"raw_activity_path": export})
    assert run.returncode == 0, run.output[-3000:]
    assert run.query("select count(*), min(source_file) from staging.stg_partner__activity") == [
        (24, export)
    ]
    # The build summary records the path as text too.
    assert run.query("select raw_activity_path from meta.build_runs") == [(export,)]


@pytest.mark.parametrize(("given", "expected"), [("2023-05", "2023-05-01")])
def test_export_month_var_takes_a_month_or_a_date(tmp_path, given, expected):
    export = write_export(tmp_path, six_months())
    run = run_window(tmp_path, {"raw_activity_path": export, "export_month": given})
    assert run.returncode == 0, run.output[-3000:]
    assert run.query(
        "select cast(export_month as varchar), export_month_source "
        "from intermediate.int_export_window"
    ) == [(expected, "var")]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("export_month", "2023-05-01' as date) as x --"),
        ("export_month", "2023-02-30"),
        ("data_start_month", "2023-13"),
    ],
)
def test_month_and_date_vars_refuse_anything_else(tmp_path, var, value):
    export = write_export(tmp_path, six_months())
    run = run_window(tmp_path, {"raw_activity_path": export, var: value})
    assert run.returncode != 0
    assert f"The var {var} must be" in run.output
    assert "Traceback" not in run.output
    # The sentence points at the var, not at a compiled file that may be gone.
    assert "compiled code at" not in run.output


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("test_account_amount_threshold", "1e7 or true"),
        ("churn_inactive_months", "3; drop table x"),
        ("test_account_prefixes", [""]),
    ],
)
def test_threshold_vars_must_be_numbers_in_range(tmp_path, var, value):
    export = write_export(tmp_path, six_months())
    run = run_window(tmp_path, {"raw_activity_path": export, var: value})
    assert run.returncode != 0
    assert f"The var {var} must be" in run.output
    assert "Traceback" not in run.output


def test_test_account_prefix_is_quoted_text(tmp_path):
    rows = six_months()
    rows[0] = variant(account_id="O'Keefe1")
    rows[1] = variant(account_id="ok_2")
    export = write_export(tmp_path, rows)
    run = run_window(
        tmp_path, {"raw_activity_path": export, "test_account_prefixes": ["o'k", "ok_"]}
    )
    assert run.returncode == 0, run.output[-3000:]
    verdicts = dict(
        run.query(
            "select account_id, coalesce(reason_code, 'clean') "
            "from intermediate.int_activity__validated "
            "where account_id in ('O''Keefe1', 'ok_2', 'B1')"
        )
    )
    assert verdicts == {"O'Keefe1": "test_account", "ok_2": "test_account", "B1": "clean"}


@pytest.mark.parametrize(
    ("model", "var"),
    [
        ("fct_player_months", "churn_inactive_months"),
        ("fct_player_lifetimes", "churn_inactive_months"),
        ("int_classifier__labels", "churn_inactive_months"),
        ("int_classifier__labels", "quick_churn_months"),
        ("int_classifier__features", "decision_month"),
        ("churn_drift", "monitoring_quarantine_trailing_cutoffs"),
        ("churn_drift", "monitoring_quarantine_min_rows"),
    ],
)
def test_month_count_vars_are_checked_in_every_model_that_reads_them(tmp_path, model, var):
    # Compiled on its own, the model reads the var itself: nothing upstream has checked it.
    run = run_dbt(["compile", "--select", model], tmp_path / "work", {var: "3) or (1=1"})
    assert run.returncode != 0
    assert f"The var {var} must be a whole number at least" in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize("var", ["monitoring_quarantine_ratio", "monitoring_quarantine_min_share"])
def test_monitoring_threshold_vars_are_checked_before_they_reach_sql(tmp_path, var):
    # churn_drift puts these thresholds into its SQL: text that is not a number must stop there.
    run = run_dbt(["compile", "--select", "churn_drift"], tmp_path / "work", {var: "1 or true"})
    assert run.returncode != 0
    assert f"The var {var} must be a number" in run.output
    assert "Traceback" not in run.output
