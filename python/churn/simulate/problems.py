"""Injected data problems: what a real partner export gets wrong, each at a configured rate.

Counts are exact (round(rate x base)) so tests can check rates tightly. One issue per row:
player-level issues, row-level issues and the sources of extra rows are drawn from disjoint sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churn.simulate.calendar import days_in_month, month_first_day
from churn.simulate.config import IssueRates
from churn.simulate.rows import NO_DAY, RowTable

TEST_ACCOUNT_MIN_DOLLARS = 10_000_000


@dataclass(frozen=True)
class IssueSpec:
    """One kind of injected problem."""

    name: str
    unit: str  # 'row': share of clean rows changed; 'extra_row': share of clean rows added;
    # 'player': share of exported players, on all their rows; 'account': test accounts per player
    category: str  # 'error', 'anomaly' (odd but possible) or 'variant' (fine once normalised)
    column: str  # the export column touched ('' = the whole row)
    description: str


ISSUES: tuple[IssueSpec, ...] = (
    IssueSpec(
        "duplicate_row",
        "extra_row",
        "error",
        "",
        "an exact copy of a clean row, placed right after it",
    ),
    IssueSpec(
        "activity_before_ftd",
        "extra_row",
        "error",
        "activity_month",
        "an extra row 1-3 months before the player's FTD month (never before the window "
        "start or the partner's entry into the state)",
    ),
    IssueSpec(
        "missing_ftd_date",
        "player",
        "error",
        "ftd_date",
        "ftd_date empty on every row of the player",
    ),
    IssueSpec(
        "ftd_before_reg",
        "player",
        "error",
        "reg_date",
        "reg_date 1-30 days after ftd_date on every row of the player",
    ),
    IssueSpec(
        "qp_before_ftd",
        "player",
        "error",
        "qp_date",
        "qp_date 1-20 days before ftd_date on every row of the player",
    ),
    IssueSpec("missing_brand_id", "row", "error", "brand_id", "brand_id empty"),
    IssueSpec(
        "invalid_brand_id",
        "row",
        "error",
        "brand_id",
        "brand_id not a state: XX, N/A, ZZ, USA or ??",
    ),
    IssueSpec(
        "brand_id_variant",
        "row",
        "variant",
        "brand_id",
        "state code in another case or padded with a space (' nj', 'Nj', 'NJ ')",
    ),
    IssueSpec(
        "product_label_variant",
        "row",
        "variant",
        "player_reg_product",
        "a seed synonym of the product with case, padding or '-'/'_' changes",
    ),
    IssueSpec(
        "blank_tracker_id", "row", "anomaly", "tracker_id", "tracker_id empty or only spaces"
    ),
    IssueSpec(
        "negative_deposit", "row", "anomaly", "total_deposit", "total_deposit negative (a reversal)"
    ),
    IssueSpec(
        "all_zero_row",
        "extra_row",
        "anomaly",
        "",
        "an extra row with 0.00 deposit, handle and NGR in a month the player was "
        "inactive (after FTD, inside the window)",
    ),
    IssueSpec(
        "test_account",
        "account",
        "error",
        "account_id",
        "an internal test account: id TEST_nnnn or a normal-looking id; every row has a "
        "deposit >= 10,000,000.00",
    ),
    IssueSpec(
        "after_export_month",
        "extra_row",
        "error",
        "activity_month",
        "an extra row dated 1-3 months after the export month",
    ),
    IssueSpec(
        "unparseable_date",
        "row",
        "error",
        "",
        "one date column holds 31/02/2023, n/a, 2023-02-30, 00/00/0000 or 2023/13/45",
    ),
    IssueSpec(
        "unparseable_amount",
        "row",
        "error",
        "",
        "one amount column holds 1,2O0.00, n/a, 12.5.00, 1.234,56 or #VALUE!",
    ),
)
ISSUE_CODE: dict[str, int] = {spec.name: i + 1 for i, spec in enumerate(ISSUES)}
ISSUE_BY_CODE: dict[int, IssueSpec] = {i + 1: spec for i, spec in enumerate(ISSUES)}

INVALID_BRANDS = ("XX", "N/A", "ZZ", "USA", "??")
BLANK_TRACKERS = ("", " ", "   ")
BAD_DATES = ("31/02/2023", "n/a", "2023-02-30", "00/00/0000", "2023/13/45")
BAD_AMOUNTS = ("1,2O0.00", "n/a", "12.5.00", "1.234,56", "#VALUE!")
DATE_COLUMNS = ("activity_month", "reg_date", "ftd_date", "qp_date")
AMOUNT_COLUMNS = ("total_deposit", "total_handle", "total_ngr")


def brand_variants(code: str) -> list[str]:
    """Case and padding variants of a state code that upper(trim()) maps back to it."""
    return [
        code.lower(),
        code.title(),
        f" {code}",
        f"{code} ",
        f" {code.lower()}",
        f"{code.lower()} ",
        f" {code.title()}",
    ]


def label_variants(raw_labels: list[str], canonical: str) -> list[str]:
    """Spellings of a product's seed labels: case, 'iCasino' style, '-'/'_'/double-space
    separators and padding; each normalises (lower, trim, '-'/'_' -> space, collapse) to a seed
    label. The canonical label itself is excluded."""
    out: set[str] = set()
    for raw in raw_labels:
        words = raw.split(" ")
        cases = {raw, raw.upper(), raw.title()}
        if raw.startswith("i") and len(raw) > 1:
            cases.add("i" + raw[1:].title())
        for text in cases:
            seps = (
                [text]
                if len(words) == 1
                else [text, text.replace(" ", "_"), text.replace(" ", "-"), text.replace(" ", "  ")]
            )
            for spelled in seps:
                out.update({spelled, f" {spelled}", f"{spelled} "})
    out.discard(canonical)
    return sorted(out)


@dataclass(frozen=True)
class ProblemContext:
    """What injection needs to know beyond the rows."""

    start_month: int
    end_month: int
    entry: np.ndarray  # (P, S) partner entry month per state, -1 absent
    ftd_month: np.ndarray  # per truth player
    activity: np.ndarray  # (M, n) truth activity, month-major


def _count(rate: float, base: int) -> int:
    return int(round(rate * base))


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    k = min(k, pool.size)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(pool, k, replace=False))


def inject_problems(
    rows: RowTable, ctx: ProblemContext, rates: IssueRates, rng: np.random.Generator
) -> RowTable:
    """Marks issues on `rows` in place (applying numeric corruptions) and returns them with the
    extra rows appended."""
    n_clean = rows.n
    players = np.unique(rows.player)

    # Player-level issues, on disjoint players.
    order = rng.permutation(players)
    n_missing = _count(rates["missing_ftd_date"], players.size)
    n_reg = _count(rates["ftd_before_reg"], players.size)
    missing, reg = order[:n_missing], order[n_missing : n_missing + n_reg]
    rest = order[n_missing + n_reg :]
    has_qp = np.unique(rows.player[rows.qp_day != NO_DAY])
    qp = _pick(rng, np.intersect1d(rest, has_qp), _count(rates["qp_before_ftd"], players.size))
    for name, chosen in (
        ("missing_ftd_date", missing),
        ("ftd_before_reg", reg),
        ("qp_before_ftd", qp),
    ):
        chosen = np.sort(chosen)
        mask = np.isin(rows.player, chosen)
        rows.issue[mask] = ISSUE_CODE[name]
        which = np.searchsorted(chosen, rows.player[mask])
        if name == "missing_ftd_date":
            rows.ftd_day[mask] = NO_DAY
        elif name == "ftd_before_reg":
            rows.reg_day[mask] = rows.ftd_day[mask] + rng.integers(1, 31, chosen.size)[which]
        else:
            rows.qp_day[mask] = rows.ftd_day[mask] - rng.integers(1, 21, chosen.size)[which]
    flagged_players = np.concatenate([missing, reg, qp])

    # Row-level issues, on disjoint clean rows.
    eligible = np.flatnonzero(rows.issue == 0)
    row_issues = (
        "missing_brand_id",
        "invalid_brand_id",
        "brand_id_variant",
        "product_label_variant",
        "blank_tracker_id",
        "negative_deposit",
        "unparseable_date",
        "unparseable_amount",
    )
    counts = [_count(rates[name], n_clean) for name in row_issues]
    picked = rng.permutation(_pick(rng, eligible, sum(counts)))
    bounds = np.cumsum([0, *counts])
    for i, name in enumerate(row_issues):
        idx = np.sort(picked[bounds[i] : bounds[i + 1]])
        rows.issue[idx] = ISSUE_CODE[name]
        rows.issue_arg[idx] = rng.integers(0, 1 << 20, idx.size)
        if name == "negative_deposit":
            reversal = rng.integers(1_000, 50_000, idx.size)  # cents, when there was no deposit
            rows.deposit[idx] = -np.where(rows.deposit[idx] > 0, rows.deposit[idx], reversal)

    # Sources of extra rows: still-clean rows of players without player-level issues.
    clean = (rows.issue == 0) & ~np.isin(rows.player, flagged_players)
    extras = [
        _before_ftd(rows, ctx, clean, _count(rates["activity_before_ftd"], n_clean), rng),
        _all_zero(rows, ctx, clean, _count(rates["all_zero_row"], n_clean), rng),
        _after_end(rows, ctx, clean, _count(rates["after_export_month"], n_clean), rng),
        _duplicates(rows, clean, _count(rates["duplicate_row"], n_clean), rng),
        _test_accounts(rows, ctx, rates["test_account"], rng),
    ]
    return RowTable.concat([rows, *extras])


def _mark(extra: RowTable, name: str) -> RowTable:
    extra.issue[:] = ISSUE_CODE[name]
    extra.issue_arg[:] = 0
    return extra


def _small_amounts(extra: RowTable, rng: np.random.Generator) -> None:
    n = extra.n
    extra.deposit[:] = np.rint(100 * (10 + rng.lognormal(np.log(25.0), 0.8, n))).astype(np.int64)
    extra.handle[:] = np.rint(extra.deposit * rng.uniform(0.0, 3.0, n)).astype(np.int64)
    extra.ngr[:] = np.rint(extra.handle * rng.normal(0.07, 0.3, n)).astype(np.int64)


def _before_ftd(
    rows: RowTable, ctx: ProblemContext, clean: np.ndarray, k: int, rng: np.random.Generator
) -> RowTable:
    ftd_month = ctx.ftd_month[rows.player]
    floor = np.maximum(ctx.start_month, ctx.entry[rows.partner, rows.state])
    room = np.minimum(ftd_month - floor, 3)
    src = _pick(rng, np.flatnonzero(clean & (rows.month == ftd_month) & (room >= 1)), k)
    extra = _mark(rows.take(src), "activity_before_ftd")
    extra.month -= 1 + (rng.random(src.size) * room[src]).astype(np.int64)
    _small_amounts(extra, rng)
    return extra


def _all_zero(
    rows: RowTable, ctx: ProblemContext, clean: np.ndarray, k: int, rng: np.random.Generator
) -> RowTable:
    """Extra zero rows in distinct (player, month) pairs where the player was inactive."""
    pool = np.flatnonzero(clean)
    horizon = ctx.activity.shape[0]
    got_src = np.empty(0, dtype=np.int64)
    got_month = np.empty(0, dtype=np.int64)
    got_key = np.empty(0, dtype=np.int64)
    for _ in range(50):
        need = k - got_src.size
        if need <= 0 or pool.size == 0:
            break
        src = rng.choice(pool, 4 * need + 16)
        player = rows.player[src]
        low = np.maximum(ctx.ftd_month[player] + 1, ctx.start_month)
        span = ctx.end_month - low + 1
        month = low + (rng.random(src.size) * np.maximum(span, 0)).astype(np.int64)
        tenure = month - ctx.ftd_month[player]
        ok = (span > 0) & (tenure < horizon)
        ok[ok] = ~ctx.activity[tenure[ok], player[ok]]
        src, month = src[ok], month[ok]
        key = rows.player[src].astype(np.int64) * 1_000_000 + month
        _, first = np.unique(key, return_index=True)
        first = np.sort(first)
        src, month, key = src[first], month[first], key[first]
        new = ~np.isin(key, got_key)
        src, month, key = src[new][:need], month[new][:need], key[new][:need]
        got_src = np.concatenate([got_src, src])
        got_month = np.concatenate([got_month, month])
        got_key = np.concatenate([got_key, key])
    extra = _mark(rows.take(got_src), "all_zero_row")
    extra.month = got_month
    extra.deposit[:] = 0
    extra.handle[:] = 0
    extra.ngr[:] = 0
    return extra


def _after_end(
    rows: RowTable, ctx: ProblemContext, clean: np.ndarray, k: int, rng: np.random.Generator
) -> RowTable:
    src = _pick(rng, np.flatnonzero(clean & (rows.month == ctx.end_month)), k)
    extra = _mark(rows.take(src), "after_export_month")
    extra.month += rng.choice(np.array([1, 2, 3]), src.size, p=[0.6, 0.3, 0.1])
    return extra


def _duplicates(rows: RowTable, clean: np.ndarray, k: int, rng: np.random.Generator) -> RowTable:
    extra = _mark(rows.take(_pick(rng, np.flatnonzero(clean), k)), "duplicate_row")
    extra.copy_rank[:] = 1
    return extra


def _test_accounts(
    rows: RowTable, ctx: ProblemContext, rate: float, rng: np.random.Generator
) -> RowTable:
    """A few internal accounts per partner with absurd amounts on every row."""
    if rate <= 0:
        return _mark(rows.take(np.empty(0, dtype=np.int64)), "test_account")
    parts: list[RowTable] = []
    serial = 1
    _, first_row = np.unique(rows.player, return_index=True)
    players_per_partner = np.bincount(rows.partner[first_row])
    for partner in np.flatnonzero(players_per_partner):
        in_partner = rows.partner == partner
        n_acc = max(1, _count(rate, int(players_per_partner[partner])))
        template = int(np.flatnonzero(in_partner)[0])
        top_id = int(rows.account_num[in_partner].max())
        states = np.flatnonzero(ctx.entry[partner] >= 0)
        for a in range(n_acc):
            state = int(rng.choice(states))
            first = max(ctx.start_month, int(ctx.entry[partner, state]))
            start = int(rng.integers(first, ctx.end_month + 1))
            length = min(int(rng.integers(2, 13)), ctx.end_month - start + 1)
            extra = rows.take(np.full(length, template))
            extra.player[:] = -1
            extra.state[:] = state
            extra.month = np.arange(start, start + length, dtype=np.int64)
            is_test_prefix = a % 2 == 0
            extra.account_test[:] = is_test_prefix
            extra.account_num[:] = serial if is_test_prefix else top_id + 1000 + 7 * a
            serial += 1
            ftd = int(month_first_day(start)) + int(rng.integers(0, int(days_in_month(start))))
            extra.ftd_day[:] = ftd
            extra.reg_day[:] = ftd - int(rng.integers(0, 4))
            extra.qp_day[:] = ftd
            extra.product[:] = 0
            dollars = rng.uniform(TEST_ACCOUNT_MIN_DOLLARS, 6 * TEST_ACCOUNT_MIN_DOLLARS, length)
            extra.deposit = np.rint(dollars * 100).astype(np.int64)
            extra.handle = np.rint(extra.deposit * rng.uniform(1.0, 4.0, length)).astype(np.int64)
            extra.ngr = np.rint(extra.handle * rng.uniform(-0.1, 0.1, length)).astype(np.int64)
            parts.append(_mark(extra, "test_account"))
    return RowTable.concat(parts)
