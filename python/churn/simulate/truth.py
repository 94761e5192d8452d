"""The ground truth behind an export: players with latent types and uncensored survival, full
activity histories, true survival curves per partition, the injected issues, and the effects of
the type model. Written as parquet next to the export (never into data/sample).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from churn.simulate.activity import NO_MONTH, Lifetimes
from churn.simulate.bayes import bayes_quick_churn
from churn.simulate.calendar import month_first_day, parse_month
from churn.simulate.churn_rule import survival_from_activity
from churn.simulate.config import FORMAT_CHANGES, SimulationConfig
from churn.simulate.export import FormatChange
from churn.simulate.first_month import MonthZero, days_left_in_month
from churn.simulate.player_types import TypeTables
from churn.simulate.population import Market, Players
from churn.simulate.problems import AMOUNT_COLUMNS, DATE_COLUMNS, ISSUES
from churn.simulate.rows import NO_DAY, RowTable

SURVIVAL_MONTHS = 60
ALL = "ALL"


def _dates(days: np.ndarray) -> pd.Series:
    """Days since epoch -> datetime64 series, NaT where missing."""
    days = np.asarray(days, dtype=np.int64)
    out = np.where(days == NO_DAY, np.iinfo(np.int64).min, days).astype("datetime64[D]")
    return pd.Series(out.astype("datetime64[s]"))


def history_strings(activity: np.ndarray) -> pa.Array:
    """(M, n) month-major bits -> one '0'/'1' string of length M per player (month 0 first)."""
    n_months, n = activity.shape
    chars = np.ascontiguousarray(activity.T).view(np.uint8) + np.uint8(48)
    offsets = np.arange(0, (n + 1) * n_months, n_months, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)]
    )


def survival_curves(
    t: np.ndarray,
    partner: np.ndarray,
    state: np.ndarray,
    market: Market,
    months: int = SURVIVAL_MONTHS,
) -> pd.DataFrame:
    """True S(m) = share with T > m, m = 0..months, per partition, per partner and overall."""
    width = months + 2
    t_c = np.minimum(t, months + 1)
    frames = []
    n_s = len(market.state_codes)
    levels = (
        (
            "partition",
            partner.astype(np.int64) * n_s + state,
            lambda g: (market.partner_ids[g // n_s], market.state_codes[g % n_s]),
        ),
        ("partner", partner.astype(np.int64), lambda g: (market.partner_ids[g], ALL)),
        ("all", np.zeros_like(t), lambda g: (ALL, ALL)),
    )
    for level, group, name in levels:
        n_groups = int(group.max()) + 1 if group.size else 0
        counts = np.bincount(group * width + t_c, minlength=n_groups * width).reshape(
            n_groups, width
        )
        n = counts.sum(axis=1)
        keep = np.flatnonzero(n > 0)
        surv = 1.0 - np.cumsum(counts[keep], axis=1)[:, : months + 1] / n[keep, None]
        ids = [name(int(g)) for g in keep]
        frames.append(
            pd.DataFrame(
                {
                    "level": level,
                    "partner_id": np.repeat([i[0] for i in ids], months + 1),
                    "geo": np.repeat([i[1] for i in ids], months + 1),
                    "month": np.tile(np.arange(months + 1), keep.size),
                    "n_players": np.repeat(n[keep], months + 1),
                    "survival": surv.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def issues_frame(rows: RowTable, export_account: pa.Array, market: Market) -> pd.DataFrame:
    """One row per corrupted export row: its position, issue, category and column."""
    idx = np.flatnonzero(rows.issue > 0)
    codes = rows.issue[idx]
    arg = rows.issue_arg[idx].astype(np.int64)
    names = np.array([""] + [s.name for s in ISSUES], dtype=object)
    categories = np.array([""] + [s.category for s in ISSUES], dtype=object)
    columns = np.array([""] + [s.column for s in ISSUES], dtype=object)[codes]
    date_issue = names[codes] == "unparseable_date"
    columns[date_issue] = np.array(DATE_COLUMNS, dtype=object)[arg[date_issue] % 4]
    amount_issue = names[codes] == "unparseable_amount"
    columns[amount_issue] = np.array(AMOUNT_COLUMNS, dtype=object)[arg[amount_issue] % 3]
    return pd.DataFrame(
        {
            "row_index": idx.astype(np.int64),
            "issue": names[codes],
            "category": categories[codes],
            "column_name": columns,
            "player_id": rows.player[idx].astype(np.int64),
            "partner_id": np.array(market.partner_ids, dtype=object)[rows.partner[idx]],
            "account_id": export_account.take(pa.array(idx)).to_numpy(zero_copy_only=False),
        }
    )


def type_effects_frame(market: Market, tables: TypeTables) -> pd.DataFrame:
    """The additive effects of the type logit: factor, level, type, logit."""
    levels = {
        "partner": market.partner_ids,
        "state": market.state_codes,
        "channel": market.channel_ids,
        "tracker": market.tracker_ids,
        "product": tables.product_names,
    }
    frames = [
        pd.DataFrame(
            {
                "factor": "base",
                "level": "",
                "type": list(tables.type_names),
                "logit": tables.base_logit,
            }
        )
    ]
    for factor, ids in levels.items():
        eff = market.type_effects[factor]
        frames.append(
            pd.DataFrame(
                {
                    "factor": factor,
                    "level": np.repeat(np.array(ids, dtype=object), tables.n_types),
                    "type": np.tile(np.array(tables.type_names, dtype=object), len(ids)),
                    "logit": eff.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def partner_states_frame(market: Market) -> pd.DataFrame:
    """Where each partner operates: entry and state launch months."""
    p, s = np.nonzero(market.entry >= 0)
    return pd.DataFrame(
        {
            "partner_id": np.array(market.partner_ids, dtype=object)[p],
            "geo": np.array(market.state_codes, dtype=object)[s],
            "launch_month": _dates(month_first_day(market.launch[s])),
            "entry_month": _dates(month_first_day(market.entry[p, s])),
            "relative_share": market.share[p, s],
        }
    )


def players_frame(
    config: SimulationConfig,
    market: Market,
    tables: TypeTables,
    players: Players,
    month0: MonthZero,
    life: Lifetimes,
    export_rows: np.ndarray,
    account_ids: np.ndarray,
) -> pd.DataFrame:
    """One row per sampled player: clean attributes, latent type, uncensored T/event, Bayes."""
    k, h = config.churn_inactive_months, config.quick_churn_months
    t, event = survival_from_activity(life.activity.T, k=k)
    horizon = life.horizon
    qp_days = np.where(life.qp_day == NO_DAY, np.nan, life.qp_day - players.ftd_day)
    death = np.where(life.lapse < horizon, players.ftd_month + life.lapse, -1)
    frame = pd.DataFrame(
        {
            "player_id": np.arange(players.n, dtype=np.int64),
            "partner_id": np.array(market.partner_ids, dtype=object)[players.partner],
            "geo": np.array(market.state_codes, dtype=object)[players.state],
            "account_id": account_ids,
            "type": np.array(tables.type_names, dtype=object)[players.type],
            "ftd_month": _dates(month_first_day(players.ftd_month)),
            "reg_date": _dates(players.reg_day),
            "ftd_date": _dates(players.ftd_day),
            "qp_date": _dates(life.qp_day),
            "ben_login_id": np.array(market.channel_ids, dtype=object)[players.channel],
            "tracker_id": np.array(market.tracker_ids, dtype=object)[players.tracker],
            "product": np.array(tables.product_names, dtype=object)[players.product],
            "never_bet": month0.never_bet,
            "bet_in_ftd_month": month0.bet_m0,
            "reg_to_ftd_days": players.reg_lag,
            "ftd_to_qp_days": qp_days,
            "ftd_days_left": days_left_in_month(players.ftd_day, players.ftd_month),
            "m0_deposit": month0.deposit / 100.0,
            "m0_handle": month0.handle / 100.0,
            "m0_ngr": month0.ngr / 100.0,
            "lapse_months": life.lapse.astype(np.int64),
            "death_month": _dates(
                np.where(death >= 0, month_first_day(np.maximum(death, 0)), NO_DAY)
            ),
            "returned": life.return_start != NO_MONTH,
            "return_months": life.return_start.astype(np.int64),
            "survival_time": t,
            "event": event,
            "quick_churn": event & (t <= h),
            "in_export": export_rows > 0,
            "n_export_rows": export_rows.astype(np.int64),
        }
    )
    for i, name in enumerate(tables.type_names):
        frame[f"p_type_{name}"] = players.type_prob[:, i]
    frame["bayes_p_quick_churn"] = bayes_quick_churn(frame, tables, h=h, k=k)
    return frame


def changes_frame(
    config: SimulationConfig,
    market: Market,
    tables: TypeTables,
    players: Players,
    export_rows: np.ndarray,
    rows: RowTable,
    format_change: FormatChange | None,
) -> pd.DataFrame:
    """One row per injected change (empty when none): `change` (mix_drift, mix_shift,
    format_change), `partner_id` (ALL for every partner), `from_month` (first FTD month for a
    mix change, first activity month for a format change), `detail`, and the players and export
    rows it touches (a mix change: players of the affected FTD cohorts and their clean rows)."""
    records: list[dict[str, Any]] = []

    def logits_text(values: tuple[float, ...]) -> str:
        return ", ".join(
            f"{name} {v:+g}" for name, v in zip(tables.type_names, values, strict=True)
        )

    if config.mix_drift_per_year:
        records.append(
            {
                "change": "mix_drift",
                "partner_id": ALL,
                "from_month": config.start_month,
                "detail": "type logits per year of FTD cohort: "
                + logits_text(config.mix_drift_per_year),
                "n_players": players.n,
                "n_rows": int(export_rows.sum()),
            }
        )
    if config.mix_shift_month is not None:
        month = parse_month(config.mix_shift_month)
        hit = players.ftd_month >= month
        if config.mix_shift_partner is not None:
            hit &= players.partner == market.partner_ids.index(config.mix_shift_partner)
        records.append(
            {
                "change": "mix_shift",
                "partner_id": config.mix_shift_partner or ALL,
                "from_month": month,
                "detail": "type logits of later FTD cohorts: "
                + logits_text(config.mix_shift_logits),
                "n_players": int(hit.sum()),
                "n_rows": int(export_rows[hit].sum()),
            }
        )
    if format_change is not None and config.format_change_month is not None:
        touched = rows.player[format_change.rows]
        records.append(
            {
                "change": "format_change",
                "partner_id": config.format_change_partner or ALL,
                "from_month": parse_month(config.format_change_month),
                "detail": "; ".join(f"{k}: {FORMAT_CHANGES[k]}" for k in format_change.kinds),
                "n_players": int(np.unique(touched[touched >= 0]).size),
                "n_rows": int(format_change.rows.sum()),
            }
        )
    frame = pd.DataFrame.from_records(
        records, columns=["change", "partner_id", "from_month", "detail", "n_players", "n_rows"]
    )
    frame["from_month"] = _dates(month_first_day(frame["from_month"].to_numpy(np.int64)))
    return frame.astype({"n_players": np.int64, "n_rows": np.int64})


def write_truth_frames(
    truth: dict[str, pd.DataFrame], summary: dict[str, Any], directory: str | Path
) -> Path:
    """Writes every truth frame as <name>.parquet and the config + summary as config.json."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in truth.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(
            table.replace_schema_metadata(None), directory / f"{name}.parquet", compression="zstd"
        )
    (directory / "config.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return directory
