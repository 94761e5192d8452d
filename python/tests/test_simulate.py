"""Tests of the partner-export simulator: the churn rule, determinism, the export's text format,
injected problem rates, agreement of export and truth, and the realism the analyses rely on."""

from __future__ import annotations

import gzip
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from churn.simulate import (
    EXPORT_COLUMNS,
    IssueRates,
    SimulationConfig,
    preset,
    read_export,
    simulate,
    survival_from_activity,
    write_export,
)
from churn.simulate.bayes import bayes_quick_churn, quick_churn_by_type
from churn.simulate.calendar import parse_month
from churn.simulate.churn_rule import survival_reference
from churn.simulate.command import build_parser, config_from_args
from churn.simulate.command import main as cli_main
from churn.simulate.docs import DOC_PATH, SAMPLE_COMMAND, apply_blocks, render_blocks
from churn.simulate.export import RENAMED_PRODUCTS
from churn.simulate.player_types import build_tables
from churn.simulate.problems import (
    BAD_AMOUNTS,
    BAD_DATES,
    INVALID_BRANDS,
    ISSUES,
    TEST_ACCOUNT_MIN_DOLLARS,
)
from churn.simulate.reference import load_reference, normalise_label
from churn.simulate.regimes import REGIMES, RISING_PRODUCTS, RISING_TYPES, regime
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "activity.csv.gz"
MEDIUM = SimulationConfig(
    n_players=15_000,
    n_partners=4,
    n_trackers=600,
    states=("NJ", "NV", "PA", "NY", "IL", "MI", "AZ", "OH", "MA"),
    seed=7,
)


@pytest.fixture(scope="module")
def tiny():
    return simulate(preset("tiny"))


@pytest.fixture(scope="module")
def medium():
    return simulate(MEDIUM)


def history_matrix(activity: pd.DataFrame) -> np.ndarray:
    """Truth history strings -> (players x months) bool matrix."""
    text = "".join(activity["history"].astype(str))
    return (np.frombuffer(text.encode(), dtype=np.uint8) == ord("1")).reshape(len(activity), -1)


def month_index(text: pd.Series) -> np.ndarray:
    """'YYYY-MM-DD' -> absolute month index (year * 12 + month - 1)."""
    return (text.str[:4].astype(int) * 12 + text.str[5:7].astype(int) - 1).to_numpy()


# --- the churn rule -------------------------------------------------------------------------


def test_ftd_only_player_churns_at_one():
    t, event = survival_from_activity(np.array([[1, 0, 0, 0, 0, 0]]), k=3)
    assert (t[0], event[0]) == (1, True)


def test_gap_shorter_than_k_then_activity_is_not_churn():
    t, event = survival_from_activity(np.array([[1, 0, 0, 1, 1, 0, 0, 0]]), k=3)
    assert (t[0], event[0]) == (5, True)  # the two-month gap did not end the life


def test_last_activity_within_k_of_the_end_is_censored():
    t, event = survival_from_activity(np.array([[1, 1, 0, 1, 0, 0]]), k=3)
    assert (t[0], event[0]) == (4, False)


def test_observed_months_cut_the_history():
    bits = np.array([[1, 1, 0, 0, 0, 1], [1, 1, 0, 0, 0, 1]])
    t, event = survival_from_activity(bits, k=3, observed_months=np.array([6, 4]))
    assert t.tolist() == [2, 2] and event.tolist() == [True, False]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.booleans(), min_size=1, max_size=16), st.integers(1, 4), st.integers(1, 16))
def test_vectorised_rule_matches_the_plain_loop(bits, k, observed):
    t, event = survival_from_activity(np.array([bits]), k=k, observed_months=observed)
    assert (int(t[0]), bool(event[0])) == survival_reference(bits, k, observed)


# --- determinism and the written bytes --------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path):
    config = preset("tiny", n_players=1_500)
    paths = [
        write_export(simulate(c).export_table, tmp_path / f"{i}.csv.gz")
        for i, c in enumerate([config, config, config.replace(seed=43)])
    ]
    first, again, other = (p.read_bytes() for p in paths)
    assert first == again
    assert first != other
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0
    assert first[3] & 0x08 == 0  # no file name in the gzip header


def test_csv_parquet_and_frame_hold_the_same_text(tiny, tmp_path: Path):
    frame = tiny.export.astype(object)
    plain = read_export(write_export(tiny.export_table, tmp_path / "a.csv"))
    gz = read_export(write_export(tiny.export, tmp_path / "a.csv.gz"))
    parquet = read_export(write_export(tiny.export_table, tmp_path / "a.parquet"))
    for other in (plain, gz, parquet):
        pd.testing.assert_frame_equal(other.astype(object), frame, check_dtype=False)
    unzipped = gzip.decompress((tmp_path / "a.csv.gz").read_bytes())
    assert unzipped == (tmp_path / "a.csv").read_bytes()


def test_clean_players_do_not_depend_on_issue_settings():
    with_issues = simulate(preset("tiny", n_players=1_000))
    clean = simulate(preset("tiny", n_players=1_000, issues=IssueRates.none()))
    cols = ["account_id", "type", "survival_time", "m0_deposit"]
    pd.testing.assert_frame_equal(with_issues.truth["players"][cols], clean.truth["players"][cols])
    assert clean.truth["issues"].empty


# --- schema and text formats ------------------------------------------------------------------


def test_columns_are_exactly_the_partner_schema(tiny):
    assert tuple(tiny.export.columns) == EXPORT_COLUMNS
    assert all(str(dtype) == "string" for dtype in tiny.export.dtypes)


def test_text_formats_on_clean_rows(tiny):
    e = tiny.export.astype(object)
    bad_rows = set(tiny.truth["issues"]["row_index"])
    clean = e[~e.index.isin(bad_rows)]
    patterns = {
        "activity_month": r"\d{4}-\d{2}-01",
        "account_id": r"A\d{7}",
        "brand_id": r"[A-Z]{2}",
        "reg_date": r"\d{4}-\d{2}-\d{2}",
        "ftd_date": r"\d{4}-\d{2}-\d{2}",
        "qp_date": r"(\d{4}-\d{2}-\d{2})?",
        "ben_login_id": r"BEN0[1-6]",
        "tracker_id": r"trk_\d{6}",
        "player_reg_product": r"sportsbook|casino|poker|dfs",
        "total_deposit": r"-?\d+\.\d{2}",
        "total_handle": r"-?\d+\.\d{2}",
        "total_ngr": r"-?\d+\.\d{2}",
        "partner_id": r"P\d{2}",
    }
    for column, pattern in patterns.items():
        ok = clean[column].str.fullmatch(pattern)
        assert ok.all(), (column, clean.loc[~ok, column].head().tolist())
    deposit = clean["total_deposit"].astype(float)
    handle = clean["total_handle"].astype(float)
    assert ((deposit > 0) | (handle > 0)).all()  # a clean row is an active month
    assert (deposit >= 0).all() and (handle >= 0).all()
    assert (clean["total_ngr"].astype(float) < 0).mean() > 0.15  # NGR is often negative


def test_dates_are_consistent_on_clean_rows(tiny):
    e = tiny.export.astype(object)
    clean = e[~e.index.isin(set(tiny.truth["issues"]["row_index"]))]
    reg, ftd = pd.to_datetime(clean["reg_date"]), pd.to_datetime(clean["ftd_date"])
    qp = pd.to_datetime(clean["qp_date"].replace("", None))
    month = pd.to_datetime(clean["activity_month"])
    assert (reg <= ftd).all()
    assert (qp.dropna() >= ftd[qp.notna()]).all()
    assert (month >= ftd.dt.to_period("M").dt.to_timestamp()).all()
    assert (month <= pd.Timestamp("2024-12-01")).all()


def test_tracker_ids_are_zipf_like_and_owned_by_one_channel(medium):
    e = medium.export.astype(object)
    e = e[e["tracker_id"].str.strip() != ""]
    assert e.groupby("tracker_id")["ben_login_id"].nunique().max() == 1
    counts = e["tracker_id"].value_counts()
    assert len(counts) > 300
    assert counts.iloc[:10].sum() > 0.15 * counts.sum()  # a few trackers carry much traffic


# --- injected problems ------------------------------------------------------------------------


def _bases(result) -> dict[str, int]:
    s = result.summary
    return {
        "row": s["n_clean_rows"],
        "extra_row": s["n_clean_rows"],
        "player": s["n_export_players"],
    }


@pytest.mark.parametrize("spec", [s for s in ISSUES if s.unit != "account"], ids=lambda s: s.name)
def test_issue_rates_match_the_config(medium, spec):
    issues = medium.truth["issues"]
    rows = issues[issues["issue"] == spec.name]
    base = _bases(medium)[spec.unit]
    count = rows["account_id"].nunique() if spec.unit == "player" else len(rows)
    expected = medium.config.issues[spec.name] * base
    assert abs(count - expected) <= max(1.0, 0.05 * expected), (count, expected)


def test_test_accounts_are_few_and_absurd(medium):
    e = medium.export.astype(object)
    issues = medium.truth["issues"]
    test_rows = issues.loc[issues["issue"] == "test_account", "row_index"]
    deposits = e.loc[test_rows, "total_deposit"].astype(float)
    assert (deposits >= TEST_ACCOUNT_MIN_DOLLARS).all()
    accounts = e.loc[test_rows, "account_id"].unique()
    assert 4 <= len(accounts) <= 20
    assert any(a.startswith("TEST_") for a in accounts)
    assert any(a.startswith("A") for a in accounts)
    amounts = e[["total_deposit", "total_handle"]].apply(pd.to_numeric, errors="coerce")
    big = amounts.max(axis=1) >= TEST_ACCOUNT_MIN_DOLLARS
    assert set(e.loc[big, "account_id"]) == set(accounts)  # real players never reach 10M


def test_problems_are_visible_in_the_export_itself(medium):
    e = medium.export.astype(object)
    counts = medium.summary["issue_counts"]
    assert e.duplicated().sum() == counts["duplicate_row"]
    assert e["brand_id"].isin(INVALID_BRANDS).sum() == counts["invalid_brand_id"]
    assert (e["brand_id"] == "").sum() == counts["missing_brand_id"]
    assert (e["tracker_id"].str.strip() == "").sum() == counts["blank_tracker_id"]
    assert e["total_deposit"].str.startswith("-").sum() == counts["negative_deposit"]
    zeros = (e[["total_deposit", "total_handle", "total_ngr"]] == "0.00").all(axis=1)
    assert zeros.sum() == counts["all_zero_row"]
    months = e["activity_month"].where(e["activity_month"].str.fullmatch(r"\d{4}-\d{2}-01"), "")
    assert (months > "2024-12-01").sum() == counts["after_export_month"]
    dates = e[["activity_month", "reg_date", "ftd_date", "qp_date"]].isin(BAD_DATES).any(axis=1)
    assert dates.sum() == counts["unparseable_date"]
    amounts = e[["total_deposit", "total_handle", "total_ngr"]].isin(BAD_AMOUNTS).any(axis=1)
    assert amounts.sum() == counts["unparseable_amount"]


def test_player_level_issues_cover_every_row_of_the_player(medium):
    e = medium.export.astype(object)
    issues = medium.truth["issues"]
    for name in ("missing_ftd_date", "ftd_before_reg", "qp_before_ftd"):
        accounts = issues.loc[issues["issue"] == name, ["partner_id", "account_id"]]
        keyed = e.merge(accounts.drop_duplicates(), on=["partner_id", "account_id"])
        assert len(keyed) == (issues["issue"] == name).sum()
    missing = issues.loc[issues["issue"] == "missing_ftd_date", "row_index"]
    assert (e.loc[missing, "ftd_date"] == "").all()
    swapped = issues.loc[issues["issue"] == "ftd_before_reg", "row_index"]
    assert (e.loc[swapped, "reg_date"] > e.loc[swapped, "ftd_date"]).all()
    early = issues.loc[issues["issue"] == "qp_before_ftd", "row_index"]
    assert (e.loc[early, "qp_date"] < e.loc[early, "ftd_date"]).all()


def test_variants_normalise_to_the_truth(medium):
    e = medium.export.astype(object)
    players = medium.truth["players"].set_index(["partner_id", "account_id"])
    labels = load_reference().product_labels
    issues = medium.truth["issues"]
    for name, column, truth_col, norm in (
        (
            "product_label_variant",
            "player_reg_product",
            "product",
            lambda s: s.map(normalise_label).map(labels),
        ),
        ("brand_id_variant", "brand_id", "geo", lambda s: s.str.strip().str.upper()),
    ):
        rows = e.loc[issues.loc[issues["issue"] == name, "row_index"]]
        assert len(rows) > 50
        truth = players.loc[
            list(zip(rows["partner_id"], rows["account_id"], strict=True)), truth_col
        ].to_numpy()
        assert (norm(rows[column]).to_numpy() == truth).all()
    assert e["player_reg_product"].isin(["iCasino", "Sports Book", "SPORTSBOOK", "sb"]).any()


def test_no_issues_means_a_clean_export():
    result = simulate(preset("tiny", n_players=1_000, issues=IssueRates.none()))
    e = result.export.astype(object)
    assert not e.duplicated().any()
    assert e["account_id"].str.fullmatch(r"A\d{7}").all()
    assert e["player_reg_product"].isin(["sportsbook", "casino", "poker", "dfs"]).all()


# --- truth against export ---------------------------------------------------------------------


def test_export_equals_truth_history_inside_the_window(medium):
    e = medium.export.astype(object)
    issues = medium.truth["issues"]
    players = medium.truth["players"]
    bad = issues.loc[issues["category"] != "variant", "player_id"].unique()
    clean_ids = players.loc[players["in_export"] & ~players["player_id"].isin(bad), "player_id"]
    history = history_matrix(medium.truth["activity"])
    ftd = month_index(players["ftd_month"].dt.strftime("%Y-%m-%d"))
    start, end = parse_month("2019-01"), parse_month("2024-12")
    player, tenure = np.nonzero(history)
    month = ftd[player] + tenure
    keep = np.isin(player, clean_ids) & (month >= start) & (month <= end)
    truth_keys = set(zip(player[keep].tolist(), month[keep].tolist(), strict=True))

    ids = players.set_index(["partner_id", "account_id"])["player_id"]
    rows = e[~e.index.isin(issues.loc[issues["category"] != "variant", "row_index"])]
    rows_pid = ids.reindex(list(zip(rows["partner_id"], rows["account_id"], strict=True)))
    on = np.isin(rows_pid.to_numpy(), clean_ids)
    export_keys = set(
        zip(
            rows_pid.to_numpy()[on].astype(int).tolist(),
            month_index(rows["activity_month"])[on].tolist(),
            strict=True,
        )
    )
    assert export_keys == truth_keys
    assert len(truth_keys) > 10_000


def test_in_export_and_left_truncation(medium):
    players = medium.truth["players"]
    e = medium.export.astype(object)
    exported = set(zip(e["partner_id"], e["account_id"], strict=True))
    flags = [
        key in exported for key in zip(players["partner_id"], players["account_id"], strict=True)
    ]
    assert (np.array(flags) == players["in_export"].to_numpy()).all()
    early = players[players["ftd_month"] < "2019-01-01"]
    assert len(early) > 100  # NV and NJ players with FTD before the window
    assert 0.05 < early["in_export"].mean() < 0.9  # most early churners never show up
    assert (
        e.loc[e["ftd_date"].between("2000-01-01", "2018-12-31"), "activity_month"].min()
        >= "2019-01-01"
    )


def test_no_activity_before_state_launch(medium):
    e = medium.export.astype(object)
    launch = load_reference().launch_month
    brand = e["brand_id"].str.strip().str.upper()
    ok = brand.isin(launch) & e["activity_month"].str.fullmatch(r"\d{4}-\d{2}-01")
    months = month_index(e.loc[ok, "activity_month"])
    assert (months >= brand[ok].map(launch).to_numpy()).all()
    players = medium.truth["players"]
    ftd = month_index(players["ftd_month"].dt.strftime("%Y-%m-%d"))
    assert (ftd >= players["geo"].map(launch).to_numpy()).all()


def test_survival_curves_are_the_true_share_surviving(medium):
    curves = medium.truth["survival_curves"]
    players = medium.truth["players"]
    overall = curves[curves["level"] == "all"].set_index("month")["survival"]
    t = players["survival_time"].to_numpy()
    assert np.allclose(overall.to_numpy(), [(t > m).mean() for m in range(61)])
    part = curves[curves["level"] == "partition"]
    assert (
        part.groupby(["partner_id", "geo"])["survival"]
        .apply(lambda s: (np.diff(s.to_numpy()) <= 0).all())
        .all()
    )
    assert (part.loc[part["month"] == 0, "survival"] == 1.0).all()
    sizes = part[part["month"] == 0]["n_players"].sum()
    assert sizes == len(players)


# --- realism ----------------------------------------------------------------------------------


def test_launch_surge_and_sports_seasonality(medium):
    players = medium.truth["players"]
    launch = load_reference().launch_month
    ftd = month_index(players["ftd_month"].dt.strftime("%Y-%m-%d"))
    since = ftd - players["geo"].map(launch).to_numpy()
    in_window = players["geo"].isin(["NY", "IL", "MI", "AZ", "OH", "MA"]).to_numpy()
    launch_quarter = ((since >= 0) & (since < 3) & in_window).sum() / 3
    baseline = ((since >= 12) & (since < 24) & in_window).sum() / 12
    assert launch_quarter > 1.8 * baseline
    month = players["ftd_month"].dt.month
    assert (month == 9).sum() > 1.4 * (month == 7).sum()  # NFL kickoff vs mid-summer


def test_types_have_clearly_different_lifetimes(medium):
    players = medium.truth["players"]
    by_type = players.groupby("type")["survival_time"]
    medians = by_type.median()
    quick = players.groupby("type")["quick_churn"].mean()
    assert len(medians) >= 3
    assert medians["one_and_done"] < medians["casual"] < medians["loyal"] <= medians["vip"]
    assert quick["one_and_done"] > 0.9 and quick["loyal"] < 0.3
    assert quick["casual"] - quick["loyal"] > 0.2


def test_k_rule_calls_some_living_players_churned_and_some_return(medium):
    players = medium.truth["players"]
    events = players[players["event"]]
    still_alive = (events["lapse_months"] > events["survival_time"]).mean()
    assert 0.05 < still_alive < 0.5
    history = history_matrix(medium.truth["activity"])
    t = players["survival_time"].to_numpy()
    after = np.arange(history.shape[1])[None, :] >= (t + 3)[:, None]
    reactivated = (history & after).any(axis=1) & players["event"].to_numpy()
    assert 0.03 < reactivated.sum() / players["event"].sum() < 0.4


def test_bayes_probability_is_reproducible_and_calibrated(medium):
    players = medium.truth["players"]
    tables = build_tables(medium.config, 200)
    again = bayes_quick_churn(players, tables, h=3, k=3)
    assert np.allclose(again, players["bayes_p_quick_churn"])
    p, y = players["bayes_p_quick_churn"], players["quick_churn"]
    assert abs(p.mean() - y.mean()) < 0.02
    bins = pd.cut(p, [0, 0.3, 0.5, 0.7, 0.9, 1.0])
    calib = pd.DataFrame({"p": p, "y": y}).groupby(bins, observed=True).mean()
    assert (calib["p"] - calib["y"]).abs().max() < 0.05


def test_quick_churn_table_matches_simulated_types(medium):
    players = medium.truth["players"]
    tables = build_tables(medium.config, 200)
    table = quick_churn_by_type(tables, h=3, k=3)
    product = pd.Categorical(players["product"], categories=list(tables.product_names)).codes
    cal = players["ftd_month"].dt.month.to_numpy() - 1
    t_idx = pd.Categorical(players["type"], categories=list(tables.type_names)).codes
    expected = table[t_idx, product, cal]
    for t in range(len(tables.type_names)):
        sel = t_idx == t
        if sel.sum() > 500:
            assert abs(expected[sel].mean() - players["quick_churn"][sel].mean()) < 0.03


# --- CLI and the bundled sample ---------------------------------------------------------------


def test_cli_writes_export_and_truth(tmp_path: Path):
    out = tmp_path / "x" / "export.parquet"
    code = cli_main(
        [
            "--players",
            "800",
            "--partners",
            "2",
            "--states",
            "3",
            "--seed",
            "5",
            "--issue-rate",
            "duplicate_row=0.05",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    truth = tmp_path / "x" / "export.truth"
    for name in ("players", "activity", "survival_curves", "issues", "type_effects"):
        assert (truth / f"{name}.parquet").exists()
    assert (truth / "config.json").exists()
    e = read_export(out)
    assert (
        e["brand_id"]
        .str.strip()
        .str.upper()
        .replace("", None)
        .dropna()
        .isin(["NY", "PA", "IL", "XX", "N/A", "ZZ", "USA", "??"])
        .all()
    )
    issues = pd.read_parquet(truth / "issues.parquet")
    n_clean = len(e) - (issues["category"] != "variant").sum()
    assert (issues["issue"] == "duplicate_row").sum() >= 0.04 * n_clean


def test_cli_rejects_unknown_issue(capsys):
    assert cli_main(["--preset", "tiny", "--issue-rate", "nope=0.1", "--out", "x.csv"]) == 2
    assert "unknown issue" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The documented sample command, run through the CLI's own argument handling."""
    out = tmp_path_factory.mktemp("sample") / "activity.csv.gz"
    argv = shlex.split(SAMPLE_COMMAND)[3:]
    argv[argv.index("--out") + 1] = str(out)
    result = simulate(config_from_args(build_parser().parse_args(argv)))
    write_export(result.export_table, out)
    return result, out


def test_sample_command_reproduces_the_bundled_file(sample_run):
    _, out = sample_run
    assert SAMPLE.exists(), f"run: {SAMPLE_COMMAND}"
    assert out.read_bytes() == SAMPLE.read_bytes()
    assert SAMPLE.stat().st_size < 10_000_000
    assert not (SAMPLE.parent / "activity.truth").exists()
    lines = gzip.decompress(SAMPLE.read_bytes())[:1000].decode().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert re.match(r"\d{4}-\d{2}-01,A\d{7},", lines[1])


def test_sample_has_the_intended_shape(sample_run):
    result, _ = sample_run
    s = result.summary
    assert 4 <= len(s["partners"]) <= 6 and len(s["states"]) >= 12
    assert 30_000 <= s["n_export_players"] <= 50_000
    assert s["window"] == ["2019-01", "2024-12"]
    assert sum(s["issue_counts"].values()) > 0


def test_docs_tables_are_current(sample_run):
    result, out = sample_run
    text = DOC_PATH.read_text()
    current = apply_blocks(text, render_blocks(result.summary, out.stat().st_size))
    assert current == text, "run: python -m churn.simulate.docs"


def test_sample_fraction_and_top_n_states():
    full = simulate(preset("tiny", n_players=3_000, states=4))
    half = simulate(preset("tiny", n_players=3_000, states=4, sample_fraction=0.5))
    assert set(full.summary["states"]) == {"NY", "PA", "IL", "OH"}
    assert 0.45 < half.summary["n_players"] / full.summary["n_players"] < 0.55


# --- regimes and injected changes -------------------------------------------------------------


def test_new_players_only_has_no_ftd_before_the_window():
    config = preset("tiny", n_players=2_000, start="2022-01", new_players_only=True)
    result = simulate(config)
    players = result.truth["players"]
    assert (players["ftd_month"] >= "2022-01-01").all()
    e = result.export.astype(object)
    clean = e[~e.index.isin(result.truth["issues"]["row_index"])]
    assert (clean["ftd_date"] >= "2022-01-01").all()
    everyone = simulate(config.replace(new_players_only=False)).truth["players"]
    assert (everyone["ftd_month"] < "2022-01-01").mean() > 0.2  # NJ, PA opened before 2022


def _type_share_by_year(players: pd.DataFrame, name: str) -> pd.Series:
    return players.groupby(players["ftd_month"].dt.year)["type"].apply(lambda t: (t == name).mean())


def test_mix_drift_changes_the_type_shares_across_cohorts():
    base = preset("tiny", n_players=6_000, start="2021-01", new_players_only=True)
    drifting = simulate(base.replace(mix_drift_per_year=(0.8, 0.0, -0.6, -0.6))).truth["players"]
    steady = simulate(base).truth["players"]
    share, steady_share = (_type_share_by_year(p, "one_and_done") for p in (drifting, steady))
    assert share[2024] - share[2021] > 0.2
    assert abs(steady_share[2024] - steady_share[2021]) < 0.08
    # The prior P(type | covariates) carries the drift, so the Bayes probability stays exact.
    prior = drifting.groupby(drifting["ftd_month"].dt.year)["p_type_one_and_done"].mean()
    assert (prior - share).abs().max() < 0.05


def test_rising_hazard_type_peaks_after_the_first_months():
    config = preset("tiny", n_players=3_000, types=RISING_TYPES, products=RISING_PRODUCTS)
    tables = build_tables(config, 60)
    survival = tables.lapse_survival[config.type_names.index("bonus_hunter")]
    hazard = 1.0 - survival[1:] / survival[:-1]
    assert hazard[0] < hazard[4] and np.argmax(hazard) in range(4, 8)
    assert hazard[-1] < 0.5 * hazard.max()
    players = simulate(config).truth["players"]
    hunters = players[players["type"] == "bonus_hunter"]
    assert len(hunters) > 200
    # The simulated churn times show the hump too: the hazard of T is higher around month 6
    # than in months 1-2.
    t, event = hunters["survival_time"].to_numpy(), hunters["event"].to_numpy()
    t_hazard = np.array([(event & (t == m)).sum() / max(1, (t >= m).sum()) for m in range(1, 13)])
    assert t_hazard[4:7].mean() > 1.5 * t_hazard[:2].mean()


def test_mix_shift_changes_only_the_partners_later_cohorts():
    base = preset("tiny", n_players=3_000)
    shifted = simulate(
        base.replace(
            mix_shift_month="2023-01",
            mix_shift_partner="P01",
            mix_shift_logits=(1.5, 0.0, -1.0, -1.0),
        )
    )
    steady = simulate(base)
    a, b = shifted.truth["players"], steady.truth["players"]
    hit = (a["partner_id"] == "P01") & (a["ftd_month"] >= "2023-01-01")
    assert hit.sum() > 100
    assert (a.loc[hit, "p_type_one_and_done"] > b.loc[hit, "p_type_one_and_done"]).all()
    columns = ["ftd_month", "type", "p_type_loyal"]  # (account ids follow registration order)
    pd.testing.assert_frame_equal(a.loc[~hit, columns], b.loc[~hit, columns])
    change = shifted.truth["changes"].iloc[0]
    assert (change["change"], change["partner_id"]) == ("mix_shift", "P01")
    assert change["from_month"] == pd.Timestamp("2023-01-01") and change["n_players"] == hit.sum()
    assert steady.truth["changes"].empty


def test_format_change_appears_at_its_month_for_its_partner():
    base = preset("tiny", n_players=2_000)
    changed = simulate(
        base.replace(
            format_change_month="2024-03",
            format_change_partner="P02",
            format_changes=("product_label", "date_day_first", "amount_cents"),
        )
    )
    plain = simulate(base).export.astype(object)
    e = changed.export.astype(object)
    assert len(e) == len(plain)
    day_first = e["activity_month"].str.fullmatch(r"01/\d{2}/\d{4}")
    month = np.where(
        day_first,
        e["activity_month"].str[6:10] + "-" + e["activity_month"].str[3:5],
        e["activity_month"].str[:7],
    )
    after = (e["partner_id"] == "P02") & (month >= "2024-03")
    issues = changed.truth["issues"]
    clean = ~e.index.isin(issues["row_index"])
    assert after.sum() > 100
    assert (day_first == after).all()
    assert e.loc[after & clean, "ftd_date"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert e.loc[after & clean, "total_deposit"].str.fullmatch(r"-?\d+").all()
    assert e.loc[after & clean, "player_reg_product"].isin(RENAMED_PRODUCTS.values()).all()
    cents = (plain.loc[after & clean, "total_handle"].astype(float) * 100).round().astype(int)
    assert (e.loc[after & clean, "total_handle"].astype(int) == cents).all()
    pd.testing.assert_frame_equal(e[~after], plain[~after])
    change = changed.truth["changes"].iloc[0]
    assert change["change"] == "format_change" and change["n_rows"] == after.sum()


def test_regime_options_on_the_command_line(tmp_path: Path):
    args = build_parser().parse_args(
        [
            "--regime",
            "new_players_24",
            "--players",
            "500",
            "--mix-drift",
            "0.3,0,-0.2,-0.2",
            "--out",
            "x.csv",
        ]
    )
    config = config_from_args(args)
    assert config.new_players_only and config.start == "2023-01"
    assert config.mix_drift_per_year == (0.3, 0.0, -0.2, -0.2) and config.n_players == 500
    out = tmp_path / "shift.parquet"
    assert (
        cli_main(
            [
                "--preset",
                "tiny",
                "--players",
                "800",
                "--mix-shift-month",
                "2024-01",
                "--mix-shift-logits",
                "1,0,0",
                "--out",
                str(out),
            ]
        )
        == 2
    )  # 4 types
    assert (
        cli_main(
            [
                "--preset",
                "tiny",
                "--players",
                "800",
                "--format-change-month",
                "2024-06",
                "--format-change",
                "amount_cents",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    changes = pd.read_parquet(tmp_path / "shift.truth" / "changes.parquet")
    assert changes["change"].tolist() == ["format_change"]


def test_regimes_build_valid_configs():
    for name, r in REGIMES.items():
        config = regime(name).config(n_players=100)
        assert config.start_month <= config.end_month, name
        assert r.description
    months = {
        n: regime(n).config().end_month - regime(n).config().start_month + 1
        for n in ("window_18", "window_24", "window_30", "baseline")
    }
    assert months == {"window_18": 18, "window_24": 24, "window_30": 30, "baseline": 36}
    with pytest.raises(ValueError, match="unknown regime"):
        regime("nope")
