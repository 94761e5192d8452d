"""End to end: a small hand-made export holding every known data problem goes through `dbt build`;
every reason code appears, reconciliation holds and no raw row is lost."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from churn.simulate.export import EXPORT_COLUMNS
from dbt_harness import run_dbt

# The export's columns, as the simulator writes them (one list).
COLUMNS = list(EXPORT_COLUMNS)

# (why, row) - the expected verdict is the reason code, or None for a clean row.
GOOD = [
    "2023-01-01",
    "A1",
    "NJ",
    "2022-12-30",
    "2023-01-02",
    "2023-01-03",
    "BEN01",
    "trk_1",
    "Sportsbook",
    "100.00",
    "500.00",
    "25.00",
    "P01",
]


def variant(**changes: str) -> list[str]:
    row = dict(zip(COLUMNS, GOOD, strict=True))
    row.update(changes)
    return [row[column] for column in COLUMNS]


HOSTILE_ROWS: list[tuple[str | None, list[str]]] = [
    (None, GOOD),
    ("duplicate", GOOD),  # an exact copy
    (
        None,
        variant(
            activity_month="2023-02-01",
            brand_id=" nj",
            player_reg_product="SPORTS BOOK",
            total_ngr="-40.00",
        ),
    ),  # state and label variants, negative NGR: all fine
    (None, variant(activity_month="2023-06-01", tracker_id="   ")),  # blank tracker: kept, null
    ("missing_key", variant(account_id="")),
    ("missing_key", variant(partner_id="", account_id="A2")),
    ("missing_key", variant(activity_month="", account_id="A3")),
    ("unparseable_date", variant(activity_month="31/02/2023", account_id="A4")),
    ("unparseable_date", variant(reg_date="n/a", account_id="A5")),
    ("unparseable_amount", variant(total_handle="1,2O0.00", account_id="A6")),
    ("test_account", variant(account_id="TEST_0001")),
    ("test_account", variant(account_id="A7", total_deposit="25000000.00")),
    ("test_account", variant(account_id="A7", activity_month="2023-02-01")),  # same account
    ("missing_ftd_date", variant(account_id="A8", ftd_date="")),
    ("invalid_brand_id", variant(account_id="A9", brand_id="XX")),
    ("invalid_brand_id", variant(account_id="A10", brand_id="")),
    ("after_export_month", variant(account_id="A11", activity_month="2031-01-01")),
    (
        "all_zero_activity",
        variant(account_id="A12", total_deposit="0.00", total_handle="0.00", total_ngr="0.00"),
    ),
    # Soft problems: kept, flagged.
    (None, variant(account_id="A13", ftd_date="2023-02-05", qp_date="")),  # before the FTD month
    (
        None,
        variant(account_id="A13", ftd_date="2023-02-05", qp_date="", activity_month="2023-02-01"),
    ),
    (None, variant(account_id="A14", reg_date="2023-01-05")),  # FTD before registration
    (None, variant(account_id="A15", qp_date="2022-12-01")),  # first bet before FTD
    (None, variant(account_id="A16", total_deposit="-20.00")),  # negative deposit
    (
        None,
        variant(account_id="A17", activity_month="2023-03-01", ftd_date=""),
    ),  # filled from below
    (None, variant(account_id="A17", player_reg_product="iCasino")),
    (
        None,
        variant(
            account_id="A18",
            partner_id="P02",
            brand_id="Pennsylvania",
            player_reg_product="Weird Product",
        ),
    ),
    # A whale wagering millions in a month is a real player, not a test account.
    (None, variant(account_id="A19", total_handle="5000000.00", total_ngr="250000.00")),
    # A European decimal comma must not be read as 1.23.
    ("unparseable_amount", variant(total_deposit="1.234,56", account_id="A6b")),
    (None, variant(total_deposit="1,234.56", account_id="A6c")),  # thousands separator: fine
    # Rows 30 on: dates no partner means, the window's ends, ids and prefixes.
    ("after_export_month", variant(account_id="A20", activity_month="2023-07-01")),
    ("implausible_date", variant(account_id="A21", activity_month="infinity")),
    ("implausible_date", variant(account_id="A22", ftd_date="-2023-02-05")),  # a BC date
    ("implausible_date", variant(account_id="A23", reg_date="1999-12-31")),
    ("implausible_date", variant(account_id="A28", qp_date="2023-08-01")),  # after July's end
    # A stray row far before the bulk is quarantined and does not move the data start.
    ("before_data_start", variant(account_id="A24", activity_month="2019-03-01")),
    ("invalid_partner_id", variant(account_id="A25", partner_id="P01/../x")),
    # The prefix `qa_` is text: '_' is no wildcard, so QA7734 and qab12 are players.
    (None, variant(account_id="QA7734")),
    (None, variant(account_id="qab12")),
    ("test_account", variant(account_id="Qa_77")),
    # A depositor whose only row is all-zero: stays a player when the FTD month is in the window
    # (A12 above), is a quarantined player when the FTD precedes it.
    (
        "all_zero_activity",
        variant(
            account_id="A26",
            ftd_date="2022-06-15",
            total_deposit="0.00",
            total_handle="0.00",
            total_ngr="0.00",
        ),
    ),
    # Deposited before the data window and first seen in its first month: enters late.
    (None, variant(account_id="A27", ftd_date="2022-06-10")),
    # Slash dates of both orders in one export: a date that reads one way only is read so, one
    # that reads both ways (Jan 2nd or Feb 1st) is quarantined.
    (None, variant(account_id="A29", reg_date="30/12/2022")),
    (None, variant(account_id="A30", reg_date="12/30/2022")),
    ("ambiguous_date", variant(account_id="A31", ftd_date="01/02/2023")),
]
# Filler so every month up to the export month has typical volume (the window is derived), well
# above the single stray rows before and after it.
FILLER = [
    (None, variant(account_id=f"F{i}", partner_id="P02", activity_month=f"2023-{m:02d}-01"))
    for i in range(8)
    for m in range(1, 7)
]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("hostile")
    export = workdir / "hostile.csv"
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for _, row in HOSTILE_ROWS + FILLER:
            writer.writerow(row)
    # Six months of data: too short for the classifier, which would stop the build by design.
    run = run_dbt(
        ["build"],
        workdir,
        {"raw_activity_path": str(export), "classifier_short_history": "skip"},
    )
    return run


def test_hostile_build_passes_every_dbt_test(hostile_build):
    assert hostile_build.returncode == 0, hostile_build.output[-4000:]


def test_every_row_gets_its_expected_verdict(hostile_build):
    verdicts = dict(
        hostile_build.query(
            "select raw_row_id, reason_code from intermediate.int_activity__validated"
        )
    )
    expected = {i + 1: reason for i, (reason, _) in enumerate(HOSTILE_ROWS + FILLER)}
    assert verdicts == expected


def test_each_reason_code_appears_in_the_quarantine(hostile_build):
    reasons = {
        code
        for (code,) in hostile_build.query("select distinct reason_code from marts.dq_quarantine")
    }
    hard_codes = {
        code
        for (code,) in hostile_build.query(
            "select reason_code from reference.dq_reason_codes where action = 'quarantine'"
        )
    }
    assert reasons == hard_codes


def test_reconciliation_holds_and_no_row_is_lost(hostile_build):
    rows = hostile_build.query(
        "select sum(n_raw_rows), sum(n_clean_rows), sum(n_quarantined_rows), bool_and(is_balanced) "
        "from marts.dq_reconciliation"
    )
    n_raw, n_clean, n_quarantined, balanced = rows[0]
    assert n_raw == len(HOSTILE_ROWS + FILLER)
    assert n_clean + n_quarantined == n_raw
    assert balanced


def test_soft_problems_are_kept_with_flags(hostile_build):
    flags = dict(
        hostile_build.query("""
        select account_id, list_sort(list_filter([
            case when is_activity_before_ftd then 'before_ftd' end,
            case when is_ftd_before_reg then 'ftd_before_reg' end,
            case when is_qp_before_ftd then 'qp_before_ftd' end,
            case when is_negative_deposit then 'negative_deposit' end,
            case when is_ftd_date_filled then 'ftd_filled' end], lambda x: x is not null))
        from intermediate.int_activity__clean
        where account_id in ('A13', 'A14', 'A15', 'A16', 'A17') and (
            is_activity_before_ftd or is_ftd_before_reg or is_qp_before_ftd
            or is_negative_deposit or is_ftd_date_filled)""")
    )
    assert flags == {
        "A13": ["before_ftd"],
        "A14": ["ftd_before_reg"],
        "A15": ["qp_before_ftd"],
        "A16": ["negative_deposit"],
        "A17": ["ftd_filled"],
    }


def test_labels_and_states_are_normalised(hostile_build):
    rows = dict(
        hostile_build.query(
            "select raw_row_id, geo || '/' || product from staging.stg_partner__activity "
            "where raw_row_id in (3, 25, 26)"
        )
    )
    assert rows == {3: "NJ/sportsbook", 25: "NJ/casino", 26: "PA/other"}


def test_window_ignores_stray_rows_at_both_ends(hostile_build):
    assert hostile_build.query(
        "select data_start_month, export_month from intermediate.int_export_window"
    ) == [(pd.Timestamp("2023-01-01").date(), pd.Timestamp("2023-06-01").date())]


def test_player_who_deposited_before_the_window_enters_late(hostile_build):
    rows = hostile_build.query(
        "select players.is_left_truncated, min(panel.activity_month), min(panel.months_active) "
        "from intermediate.int_players as players "
        "inner join marts.fct_player_months as panel on players.player_id = panel.player_id "
        "where players.account_id = 'A27' group by players.is_left_truncated"
    )
    assert rows == [(True, pd.Timestamp("2023-01-01").date(), 7)]


def test_all_zero_depositor_stays_with_an_active_ftd_month(hostile_build):
    rows = hostile_build.query(
        "select players.n_clean_rows, panel.activity_month, panel.is_active "
        "from intermediate.int_players as players "
        "inner join marts.fct_player_months as panel on players.player_id = panel.player_id "
        "where players.account_id = 'A12' and panel.months_active = 0"
    )
    assert rows == [(0, pd.Timestamp("2023-01-01").date(), True)]


def test_every_named_player_is_kept_or_quarantined_with_a_reason(hostile_build):
    quarantined = dict(
        hostile_build.query(
            "select account_id, reason_code from marts.dq_quarantined_players "
            "where partner_id = 'P01'"
        )
    )
    assert quarantined == {
        "A3": "missing_key",
        "A4": "unparseable_date",
        "A5": "unparseable_date",
        "A6": "unparseable_amount",
        "A6b": "unparseable_amount",
        "A7": "test_account",
        "TEST_0001": "test_account",
        "Qa_77": "test_account",
        "A8": "missing_ftd_date",
        "A11": "after_export_month",
        "A21": "implausible_date",
        "A22": "implausible_date",
        "A23": "implausible_date",
        "A28": "implausible_date",
        "A24": "before_data_start",
        "A20": "after_export_month",
        "A26": "all_zero_activity",
        "A31": "ambiguous_date",
    }
    balance = hostile_build.query(
        "select sum(n_raw_players), sum(n_players), sum(n_quarantined_players), "
        "bool_and(is_players_balanced) from marts.dq_reconciliation"
    )
    n_raw, n_kept, n_quarantined, balanced = balance[0]
    assert (n_kept + n_quarantined, balanced) == (n_raw, True)
    assert n_quarantined == len(quarantined) + 1  # A25, under its invalid partner id


def test_reasons_by_partner_come_from_the_seed(hostile_build):
    seed = hostile_build.query(
        "select count(*) from reference.dq_reason_codes where action = 'quarantine'"
    )[0][0]
    by_reason = hostile_build.query(
        "select partner_id, count(*), sum(n_rows) from marts.dq_quarantine_by_reason "
        "group by partner_id order by partner_id"
    )
    quarantined = dict(
        hostile_build.query("select partner_id, n_quarantined_rows from marts.dq_reconciliation")
    )
    assert [(partner, n) for partner, n, _ in by_reason] == [
        (partner, seed) for partner in sorted(quarantined)
    ]
    assert {partner: total for partner, _, total in by_reason} == quarantined


def test_staging_is_readable_from_another_folder(hostile_build, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert hostile_build.query("select count(*) from staging.stg_partner__activity") == [
        (len(HOSTILE_ROWS + FILLER),)
    ]


def test_export_missing_a_column_fails_in_staging_naming_it(tmp_path: Path):
    export = tmp_path / "no_handle.csv"
    frame = pd.DataFrame([dict(zip(COLUMNS, GOOD, strict=True))]).drop(columns=["total_handle"])
    frame.to_csv(export, index=False)
    run = run_dbt(
        ["run", "--select", "stg_partner__activity"], tmp_path, {"raw_activity_path": str(export)}
    )
    assert run.returncode != 0
    assert f"file '{export}' is missing required column(s): total_handle" in run.output
    assert "Traceback" not in run.output


def test_single_partner_parquet_export_takes_partner_from_var(tmp_path: Path):
    export = tmp_path / "one_partner.parquet"
    rows = [
        variant(account_id=f"B{i}", activity_month=f"2023-{m:02d}-01")
        for i in range(4)
        for m in range(1, 5)
    ]
    pd.DataFrame(rows, columns=COLUMNS).drop(columns=["partner_id"]).to_parquet(export)
    run = run_dbt(
        ["build"],
        tmp_path,
        {"raw_activity_path": str(export), "partner_id": "P77", "classifier_short_history": "skip"},
    )
    assert run.returncode == 0, run.output[-4000:]
    assert run.query(
        "select partner_id, n_raw_rows, n_clean_rows from marts.dq_reconciliation"
    ) == [("P77", 16, 16)]
