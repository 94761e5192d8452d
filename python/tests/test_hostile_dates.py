"""Slash dates in the order the partner wrote them: the order is decided per export from the values
that read one way only (or forced by the var date_order), an export holding both orders
quarantines the rows it cannot read, and a day-first export builds the lifetimes of its ISO twin.
The same on Spark: test_spark.py."""

from __future__ import annotations

import pandas as pd
import pytest
from churn.project import project_dir
from dbt_harness import run_dbt
from test_hostile_vars import BUILD, six_months, write_export
from test_pipeline_hostile import variant

DATE_COLUMNS = ["activity_month", "reg_date", "ftd_date", "qp_date"]
SAMPLE = project_dir() / "data" / "sample" / "activity.csv.gz"
ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})$"


def run_window(tmp_path, variables: dict):
    """Staging, validation and the date-order decision on a hand-made export."""
    return run_dbt([*BUILD[:3], "int_date_order", *BUILD[3:]], tmp_path / "work", variables)


def date_order(run) -> tuple[str, str]:
    return run.query("select date_order, date_order_basis from intermediate.int_date_order")[0]


def verdicts(run, accounts: list[str]) -> dict[str, tuple]:
    listed = ", ".join(f"'{account}'" for account in accounts)
    rows = run.query(
        "select account_id, reason_code, cast(reg_date as varchar), cast(ftd_date as varchar) "
        f"from intermediate.int_activity__validated where account_id in ({listed})"
    )
    return {account: tuple(rest) for account, *rest in rows}


def test_a_day_after_the_twelfth_in_first_place_makes_the_export_day_first(tmp_path):
    rows = six_months()
    # 13/01 can only be day first; 05/01 then reads as the 5th of January, not May 1st.
    rows[0] = variant(account_id="D1", reg_date="13/01/2023", ftd_date="05/01/2023")
    export = write_export(tmp_path, rows)
    run = run_window(tmp_path, {"raw_activity_path": export})
    assert run.returncode == 0, run.output[-3000:]
    order, basis = date_order(run)
    assert order == "dmy"
    assert "only day-first: 1 (reg_date)" in basis
    assert verdicts(run, ["D1"]) == {"D1": (None, "2023-01-13", "2023-01-05")}


def test_an_export_holding_both_orders_quarantines_what_reads_both_ways(tmp_path):
    rows = six_months()
    rows[0] = variant(account_id="X1", reg_date="13/01/2023")  # day first only
    rows[1] = variant(account_id="X2", ftd_date="01/13/2023", qp_date="")  # month first only
    rows[2] = variant(account_id="X3", ftd_date="05/01/2023")  # the 5th of January or May 1st
    rows[3] = variant(account_id="X4", ftd_date="01/01/2023")  # the same day both ways
    export = write_export(tmp_path, rows)
    run = run_window(tmp_path, {"raw_activity_path": export})
    assert run.returncode == 0, run.output[-3000:]
    order, basis = date_order(run)
    assert order == "mixed"
    # The sentence names the columns that disagree.
    assert "only day-first: 1 (reg_date), only month-first: 1 (ftd_date)" in basis
    assert verdicts(run, ["X1", "X2", "X3", "X4"]) == {
        "X1": (None, "2023-01-13", "2023-01-02"),
        "X2": (None, "2022-12-30", "2023-01-13"),
        "X3": ("ambiguous_date", "2022-12-30", None),
        "X4": (None, "2022-12-30", "2023-01-01"),
    }
    assert run.query("select n_ambiguous_rows from intermediate.int_date_order") == [(1,)]


@pytest.fixture(scope="module")
def month_first_build(tmp_path_factory):
    """One export for two month-first cases, each its own accounts: M1 has a day after the twelfth
    in second place; 150 month-first dates (M2..M151) stand against one day-first typo (T1)."""
    tmp_path = tmp_path_factory.mktemp("month-first")
    rows = six_months()
    rows[0] = variant(account_id="M1", reg_date="01/13/2023", ftd_date="01/05/2023")
    # 150 month-first dates and one day-first typo: the export is month first, the typo alone is
    # unparseable (as mixed, every row with a date reading both ways would be quarantined).
    rows += [
        variant(account_id=f"M{i}", activity_month="2023-01-01", reg_date="01/20/2023")
        for i in range(2, 152)
    ]
    rows.append(variant(account_id="T1", activity_month="2023-01-01", reg_date="20/01/2023"))
    rows.append(variant(account_id="A1", activity_month="2023-01-01", reg_date="05/01/2023"))
    run = run_window(tmp_path, {"raw_activity_path": write_export(tmp_path, rows)})
    assert run.returncode == 0, run.output[-3000:]
    return run


def test_a_day_after_the_twelfth_in_second_place_makes_the_export_month_first(month_first_build):
    assert date_order(month_first_build)[0] == "mdy"
    assert verdicts(month_first_build, ["M1"]) == {"M1": (None, "2023-01-13", "2023-01-05")}


def test_a_few_strays_against_the_order_of_all_the_others_do_not_make_the_export_mixed(
    month_first_build,
):
    order, basis = date_order(month_first_build)
    assert order == "mdy"
    assert "the few slash dates that read only day-first" in basis
    found = verdicts(month_first_build, ["M2", "T1", "A1"])
    assert found["M2"][:2] == (None, "2023-01-20")
    assert found["T1"][0] == "unparseable_date"
    assert found["A1"][:2] == (None, "2023-05-01")


def test_without_evidence_the_order_is_month_first_unless_the_var_says_otherwise(tmp_path):
    rows = six_months()
    rows[0] = variant(account_id="V1", ftd_date="05/01/2023")
    export = write_export(tmp_path, rows)
    auto = run_window(tmp_path / "auto", {"raw_activity_path": export})
    assert auto.returncode == 0, auto.output[-3000:]
    assert date_order(auto)[0] == "mdy"
    assert date_order(auto)[1] == "month first (assumed: no slash date reads one way only)"
    assert verdicts(auto, ["V1"])["V1"][2] == "2023-05-01"
    forced = run_window(tmp_path / "dmy", {"raw_activity_path": export, "date_order": "DMY"})
    assert forced.returncode == 0, forced.output[-3000:]
    assert date_order(forced)[0] == "dmy"
    assert date_order(forced)[1] == "set by the var date_order"
    assert verdicts(forced, ["V1"])["V1"][2] == "2023-01-05"


def test_a_forced_order_quarantines_the_dates_that_contradict_it(tmp_path):
    rows = six_months()
    rows[0] = variant(account_id="F1", reg_date="13/01/2023")
    export = write_export(tmp_path, rows)
    run = run_window(tmp_path, {"raw_activity_path": export, "date_order": "mdy"})
    assert run.returncode == 0, run.output[-3000:]
    assert date_order(run)[0] == "mdy"
    assert verdicts(run, ["F1"])["F1"][0] == "unparseable_date"


@pytest.mark.parametrize("value", ["ymd", "dmy' or 1=1 --", ""])
def test_the_date_order_var_is_refused_outside_its_values(tmp_path, value):
    export = write_export(tmp_path, six_months())
    run = run_window(tmp_path, {"raw_activity_path": export, "date_order": value})
    assert run.returncode != 0
    assert "The var date_order must be auto, mdy" in run.output
    assert f'(got "{value}")' in run.output
    assert "Traceback" not in run.output


@pytest.fixture(scope="module")
def twin_exports(tmp_path_factory) -> tuple:
    """A twentieth of the sample's accounts as sent (ISO dates), and the same rows with every ISO
    date written day first (DD/MM/YYYY)."""
    folder = tmp_path_factory.mktemp("twins")
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    accounts = raw["account_id"].drop_duplicates().sort_values()
    raw = raw[raw["account_id"].isin(accounts.iloc[::20])]
    iso, day_first = folder / "iso.csv", folder / "day_first.csv"
    raw.to_csv(iso, index=False)
    rewritten = raw.copy()
    for column in DATE_COLUMNS:
        rewritten[column] = rewritten[column].str.replace(ISO_DATE, r"\3/\2/\1", regex=True)
    assert (rewritten["ftd_date"] != raw["ftd_date"]).mean() > 0.9
    rewritten.to_csv(day_first, index=False)
    return folder, iso, day_first


def lifetimes(folder, export) -> tuple[object, pd.DataFrame, list]:
    build = [BUILD[0], "--select", "+fct_player_lifetimes", "int_date_order", *BUILD[3:]]
    run = run_dbt(build, folder / export.stem, {"raw_activity_path": str(export)})
    assert run.returncode == 0, run.output[-3000:]
    frame = run.frame("select * from marts.fct_player_lifetimes order by player_id")
    reasons = run.query(
        "select reason_code, count(*) from intermediate.int_activity__validated "
        "group by 1 order by 1"
    )
    return run, frame, reasons


def test_a_day_first_export_builds_the_lifetimes_of_its_iso_twin(twin_exports):
    folder, iso, day_first = twin_exports
    _, iso_lifetimes, iso_reasons = lifetimes(folder, iso)
    run, day_first_lifetimes, day_first_reasons = lifetimes(folder, day_first)
    assert date_order(run)[0] == "dmy"
    assert len(day_first_lifetimes) > 1000
    pd.testing.assert_frame_equal(day_first_lifetimes, iso_lifetimes)
    assert day_first_reasons == iso_reasons
