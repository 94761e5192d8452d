"""Globs and file types: every file of an export is checked on its own, and a file that cannot be
read says which file (and line) and why."""

from __future__ import annotations

import pandas as pd
import pytest
from dbt_harness import run_dbt
from test_pipeline_hostile import COLUMNS, variant


def rows_of(prefix: str, n_accounts: int = 2) -> list[list[str]]:
    return [
        variant(account_id=f"{prefix}{i}", activity_month=f"2023-{m:02d}-01")
        for i in range(n_accounts)
        for m in range(1, 7)
    ]


def frame_of(prefix: str, drop=()) -> pd.DataFrame:
    return pd.DataFrame(rows_of(prefix), columns=COLUMNS).drop(columns=list(drop))


def run_staging(tmp_path, raw: str, **variables):
    return run_dbt(
        [
            "build",
            "--select",
            "+stg_partner__activity",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "cautious",
        ],
        tmp_path / "work",
        {"raw_activity_path": raw, **variables},
    )


def assert_refused(run, *sentences: str) -> None:
    assert run.returncode != 0
    for sentence in sentences:
        assert sentence in run.output, run.output[-3000:]
    assert "Traceback" not in run.output
    assert "sniffing" not in run.output


def test_each_file_of_a_glob_must_carry_the_required_columns(tmp_path):
    frame_of("A").to_csv(tmp_path / "part_1.csv", index=False)
    frame_of("B", drop=["ftd_date"]).to_csv(tmp_path / "part_2.csv", index=False)
    run = run_staging(tmp_path, str(tmp_path / "part_*.csv"))
    assert_refused(run, f"file '{tmp_path / 'part_2.csv'}' is missing required column(s): ftd_date")


def test_a_file_without_partner_id_takes_the_var(tmp_path):
    frame_of("A").to_csv(tmp_path / "part_1.csv", index=False)
    frame_of("B", drop=["partner_id"]).to_csv(tmp_path / "part_2.csv", index=False)
    run = run_staging(tmp_path, str(tmp_path / "part_*.csv"), partner_id="P09")
    assert run.returncode == 0, run.output[-3000:]
    assert run.query(
        "select substr(account_id, 1, 1), partner_id, count(*) from staging.stg_partner__activity "
        "group by all order by 1"
    ) == [("A", "P01", 12), ("B", "P09", 12)]


def test_a_file_without_partner_id_needs_the_var(tmp_path):
    frame_of("B", drop=["partner_id"]).to_csv(tmp_path / "mine.csv", index=False)
    run = run_staging(tmp_path, str(tmp_path / "mine.csv"))
    assert_refused(
        run,
        f"file '{tmp_path / 'mine.csv'}' has no partner_id column"
        " and the var partner_id is not set",
    )
    assert "P00" not in run.output


def write_lines(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


HEADER = ",".join(COLUMNS)
GOOD_LINE = ",".join(variant())


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        (",".join(variant()[:-2]), "Expected Number of Columns"),  # ragged: two fields short
        (GOOD_LINE.replace("BEN01", '"BEN01'), "unterminated quote"),
    ],
)
def test_unreadable_line_names_the_file_and_line(tmp_path, bad_line, problem):
    export = write_lines(tmp_path / "bad.csv", [HEADER, GOOD_LINE, GOOD_LINE, bad_line, GOOD_LINE])
    run = run_staging(tmp_path, export)
    assert_refused(run, f"file '{export}' cannot be read at line 4", problem)


def test_duplicated_column_name_is_refused(tmp_path):
    export = write_lines(tmp_path / "dup.csv", [HEADER + ",Account_ID", GOOD_LINE + ",X1"])
    run = run_staging(tmp_path, export)
    assert_refused(run, f"file '{export}' has the column 'account_id' more than once")


def test_empty_file_and_no_match_are_named(tmp_path):
    empty = write_lines(tmp_path / "empty.csv", [])
    (tmp_path / "empty.csv").write_text("")
    assert_refused(run_staging(tmp_path, empty), f"file '{empty}' is empty")
    missing = str(tmp_path / "nothing_*.csv")
    assert_refused(
        run_staging(tmp_path, missing), f"No file matches the var raw_activity_path: '{missing}'"
    )


@pytest.fixture(scope="module")
def readable_files(tmp_path_factory) -> tuple:
    """One staging build of a glob of three readable files, each its own accounts: a Parquet file
    with an upper-case extension, a semicolon and a tab separated CSV (each file is read on its
    own, so one build checks all three)."""
    folder = tmp_path_factory.mktemp("readable")
    files = {
        "parquet": folder / "export_p.PARQUET",
        ";": folder / "export_s.csv",
        "\t": folder / "export_t.csv",
    }
    frame_of("P").to_parquet(files["parquet"])
    frame_of("S").to_csv(files[";"], index=False, sep=";")
    frame_of("T").to_csv(files["\t"], index=False, sep="\t")
    run = run_staging(folder, str(folder / "export_*"))
    assert run.returncode == 0, run.output[-3000:]
    return run, files


def staged_from(readable_files, kind: str, columns: str) -> list[tuple]:
    run, files = readable_files
    return run.query(
        f"select {columns} from staging.stg_partner__activity where source_file = '{files[kind]}'"
    )


def test_parquet_extension_in_any_case_is_read_as_parquet(readable_files):
    assert staged_from(readable_files, "parquet", "count(*), count(geo)") == [(12, 12)]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_files_are_read_with_their_delimiter(readable_files, separator):
    columns = "count(*), count(total_deposit), min(partner_id)"
    assert staged_from(readable_files, separator, columns) == [(12, 12, "P01")]


def test_a_build_on_an_export_named_by_its_path_alone_reuses_the_saved_parse(readable_files):
    """run_dbt passes the export outside --vars and runs dbt in the work folder, so dbt starts
    from the session's saved parse (conftest) instead of parsing the project again."""
    run, _ = readable_files
    log = (run.target_path.parent / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Partial parsing enabled, no changes found, skipping parsing" in log
