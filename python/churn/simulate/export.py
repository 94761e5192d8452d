"""Rendering the export as a partner sends it (all text) and writing it byte-deterministically.

Dates are 'YYYY-MM-DD', amounts have two decimals, a missing value is an empty string. CSV
fields are quoted only when they contain a comma, quote or newline (only injected bad amounts
do). Formatting runs in Arrow compute, so a million players render in seconds.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from churn.simulate.calendar import month_first_day
from churn.simulate.problems import (
    AMOUNT_COLUMNS,
    BAD_AMOUNTS,
    BAD_DATES,
    BLANK_TRACKERS,
    DATE_COLUMNS,
    INVALID_BRANDS,
    ISSUE_CODE,
    brand_variants,
)
from churn.simulate.rows import NO_DAY, RowTable

EXPORT_COLUMNS: tuple[str, ...] = (
    "activity_month",
    "account_id",
    "brand_id",
    "reg_date",
    "ftd_date",
    "qp_date",
    "ben_login_id",
    "tracker_id",
    "player_reg_product",
    "total_deposit",
    "total_handle",
    "total_ngr",
    "partner_id",
)
CSV_CHUNK_ROWS = 500_000
# The `product_label` format change: labels a partner might switch to that the seed lacks.
RENAMED_PRODUCTS: dict[str, str] = {
    "sportsbook": "Sports Betting",
    "casino": "iGaming",
    "poker": "Poker Room",
    "dfs": "Fantasy Sports",
}
_ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})$"


@dataclass(frozen=True)
class Labels:
    """Text of every coded value."""

    partner_ids: tuple[str, ...]
    state_codes: tuple[str, ...]
    channel_ids: tuple[str, ...]
    tracker_ids: tuple[str, ...]
    product_names: tuple[str, ...]
    product_variants: tuple[tuple[str, ...], ...]  # per product, its label variants


@dataclass(frozen=True)
class FormatChange:
    """An injected change of export format: which rows (a mask) and what changes on them."""

    rows: np.ndarray  # bool, one per export row
    kinds: tuple[str, ...]  # keys of churn.simulate.config.FORMAT_CHANGES


def _lookup(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(codes.astype(np.int64)))


def format_dates(days: np.ndarray) -> pa.Array:
    """Days since epoch -> 'YYYY-MM-DD'; NO_DAY -> ''."""
    missing = days == NO_DAY
    arr = pa.array(np.where(missing, 0, days).astype(np.int32), pa.int32(), mask=missing).cast(
        pa.date32()
    )
    return pc.fill_null(pc.cast(arr, pa.string()), "")


def format_cents(cents: np.ndarray) -> pa.Array:
    """Integer cents -> '125.50', '-33.10', '0.00'."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    whole = pc.cast(pa.array(magnitude // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(magnitude % 100), pa.string()), 2, "0")
    sign = pc.if_else(pa.array(cents < 0), "-", "")
    return pc.binary_join_element_wise(sign, whole, ".", frac, "")


def format_accounts(number: np.ndarray, is_test: np.ndarray) -> pa.Array:
    """'A' + 7 digits; test accounts 'TEST_' + 4 digits."""
    digits = pc.cast(pa.array(number), pa.string())
    normal = pc.binary_join_element_wise("A", pc.utf8_lpad(digits, 7, "0"), "")
    test = pc.binary_join_element_wise("TEST_", pc.utf8_lpad(digits, 4, "0"), "")
    return pc.if_else(pa.array(is_test), test, normal)


def _replace(column: pa.Array, mask: np.ndarray, values: list[str]) -> pa.Array:
    if not mask.any():
        return column
    return pc.replace_with_mask(column, pa.array(mask), pa.array(values, pa.string()))


def render_export(rows: RowTable, labels: Labels, change: FormatChange | None = None) -> pa.Table:
    """The export text, column by column, with text-level issues and a format change applied."""
    issue, arg = rows.issue, rows.issue_arg.astype(np.int64)
    cols: dict[str, pa.Array] = {
        "activity_month": format_dates(month_first_day(rows.month)),
        "account_id": format_accounts(rows.account_num, rows.account_test),
        "brand_id": _lookup(labels.state_codes, rows.state),
        "reg_date": format_dates(rows.reg_day),
        "ftd_date": format_dates(rows.ftd_day),
        "qp_date": format_dates(rows.qp_day),
        "ben_login_id": _lookup(labels.channel_ids, rows.channel),
        "tracker_id": _lookup(labels.tracker_ids, rows.tracker),
        "player_reg_product": _lookup(labels.product_names, rows.product),
        "total_deposit": format_cents(rows.deposit),
        "total_handle": format_cents(rows.handle),
        "total_ngr": format_cents(rows.ngr),
        "partner_id": _lookup(labels.partner_ids, rows.partner),
    }

    def pick(options: Sequence[str], which: np.ndarray) -> list[str]:
        return [options[k] for k in (which % len(options)).tolist()]

    m = issue == ISSUE_CODE["missing_brand_id"]
    cols["brand_id"] = _replace(cols["brand_id"], m, [""] * int(m.sum()))
    m = issue == ISSUE_CODE["invalid_brand_id"]
    cols["brand_id"] = _replace(cols["brand_id"], m, pick(INVALID_BRANDS, arg[m]))
    m = issue == ISSUE_CODE["brand_id_variant"]
    per_state = [brand_variants(code) for code in labels.state_codes]
    width = len(per_state[0])
    flat = [v for variants in per_state for v in variants]
    cols["brand_id"] = _replace(
        cols["brand_id"], m, pick(flat, rows.state[m].astype(np.int64) * width + arg[m] % width)
    )
    m = issue == ISSUE_CODE["product_label_variant"]
    sizes = np.array([len(v) for v in labels.product_variants])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = [v for variants in labels.product_variants for v in variants]
    prod = rows.product[m].astype(np.int64)
    cols["player_reg_product"] = _replace(
        cols["player_reg_product"], m, pick(flat, starts[prod] + arg[m] % sizes[prod])
    )
    m = issue == ISSUE_CODE["blank_tracker_id"]
    cols["tracker_id"] = _replace(cols["tracker_id"], m, pick(BLANK_TRACKERS, arg[m]))
    m = issue == ISSUE_CODE["unparseable_date"]
    for i, name in enumerate(DATE_COLUMNS):
        sub = m & (arg % len(DATE_COLUMNS) == i)
        cols[name] = _replace(cols[name], sub, pick(BAD_DATES, arg[sub] // len(DATE_COLUMNS)))
    m = issue == ISSUE_CODE["unparseable_amount"]
    for i, name in enumerate(AMOUNT_COLUMNS):
        sub = m & (arg % len(AMOUNT_COLUMNS) == i)
        cols[name] = _replace(cols[name], sub, pick(BAD_AMOUNTS, arg[sub] // len(AMOUNT_COLUMNS)))
    if change is not None and change.rows.any():
        _apply_format_change(cols, rows, labels, change)
    return pa.table({name: cols[name] for name in EXPORT_COLUMNS})


def _apply_format_change(
    cols: dict[str, pa.Array], rows: RowTable, labels: Labels, change: FormatChange
) -> None:
    """Rewrites the changed rows' text; a row whose field already carries an injected text
    problem of that kind keeps it, so the truth's issue list stays exact."""
    issue = rows.issue
    if "product_label" in change.kinds:
        m = change.rows & (issue != ISSUE_CODE["product_label_variant"])
        renamed = [RENAMED_PRODUCTS.get(p, f"{p} (new)") for p in labels.product_names]
        cols["player_reg_product"] = pc.replace_with_mask(
            cols["player_reg_product"], pa.array(m), _lookup(renamed, rows.product[m])
        )
    if "date_day_first" in change.kinds:
        m = pa.array(change.rows & (issue != ISSUE_CODE["unparseable_date"]))
        for name in DATE_COLUMNS:
            day_first = pc.replace_substring_regex(cols[name], _ISO_DATE, r"\3/\2/\1")
            cols[name] = pc.if_else(m, day_first, cols[name])
    if "amount_cents" in change.kinds:
        m = change.rows & (issue != ISSUE_CODE["unparseable_amount"])
        for name, cents in (
            ("total_deposit", rows.deposit),
            ("total_handle", rows.handle),
            ("total_ngr", rows.ngr),
        ):
            cols[name] = pc.replace_with_mask(
                cols[name], pa.array(m), pc.cast(pa.array(cents[m]), pa.string())
            )


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """The export as a pandas frame of pyarrow-backed strings (same text as written)."""
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _csv_field(column: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(column, '[,"\\r\\n]')
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def _csv_chunks(table: pa.Table):
    yield (",".join(table.column_names) + "\n").encode()
    for start in range(0, table.num_rows, CSV_CHUNK_ROWS):
        part = table.slice(start, CSV_CHUNK_ROWS)
        fields = [_csv_field(part.column(i).combine_chunks()) for i in range(part.num_columns)]
        lines = pc.binary_join_element_wise(*fields, ",")
        lines = pc.binary_join_element_wise(lines, "", "\n")
        _, offsets, data = lines.buffers()
        off = np.frombuffer(offsets, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
        yield memoryview(data)[off[0] : off[-1]]


def write_export(export: pa.Table | pd.DataFrame, path: str | Path) -> Path:
    """Writes the export to .csv.gz (gzip, mtime 0, no name), .csv or .parquet by suffix."""
    path = Path(path)
    table = (
        export
        if isinstance(export, pa.Table)
        else pa.Table.from_pandas(export, preserve_index=False)
    )
    table = table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.lower()
    if name.endswith(".parquet"):
        pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")
    elif name.endswith(".csv.gz"):
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out,
        ):
            for chunk in _csv_chunks(table):
                out.write(chunk)
    elif name.endswith(".csv"):
        with path.open("wb") as out:
            for chunk in _csv_chunks(table):
                out.write(chunk)
    else:
        raise ValueError(f"unsupported export suffix: {path} (use .csv.gz, .csv or .parquet)")
    return path


def read_export(path: str | Path) -> pd.DataFrame:
    """Reads an export back as text, empty strings kept (for tests and inspection)."""
    path = Path(path)
    if path.name.lower().endswith(".parquet"):
        return pd.read_parquet(path).astype(object)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
