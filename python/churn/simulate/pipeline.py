"""`simulate(config)`: market -> players -> month 0 -> lifetimes -> rows -> problems -> text.

Each stage draws from its own child of SeedSequence(seed), so switching issues off or changing
an issue rate leaves the clean players and their histories unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from churn.simulate.activity import NO_MONTH, Lifetimes, simulate_lifetimes
from churn.simulate.calendar import days_in_month, month_first_day, month_label, parse_month
from churn.simulate.config import SimulationConfig
from churn.simulate.export import (
    FormatChange,
    Labels,
    format_accounts,
    render_export,
    to_pandas,
    write_export,
)
from churn.simulate.first_month import MonthZero, draw_month_zero
from churn.simulate.money import later_month_amounts
from churn.simulate.player_types import TypeTables, build_tables
from churn.simulate.population import Market, Players, build_market, draw_players, select_states
from churn.simulate.problems import ISSUE_BY_CODE, ProblemContext, inject_problems, label_variants
from churn.simulate.reference import Reference, load_reference
from churn.simulate.rows import NO_DAY, RowTable
from churn.simulate.truth import (
    changes_frame,
    history_strings,
    issues_frame,
    partner_states_frame,
    players_frame,
    survival_curves,
    type_effects_frame,
    write_truth_frames,
)

STAGES = ("market", "players", "month_zero", "lifetimes", "money", "problems")


@dataclass
class SimulationResult:
    """The export (as text) and its ground truth."""

    config: SimulationConfig
    export_table: pa.Table
    truth: dict[str, pd.DataFrame]
    summary: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def export(self) -> pd.DataFrame:
        """The export exactly as written: every column text, '' for missing."""
        return to_pandas(self.export_table)


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent PCG64 generator per stage."""
    children = np.random.SeedSequence(seed).spawn(len(STAGES))
    return {
        name: np.random.Generator(np.random.PCG64(child))
        for name, child in zip(STAGES, children, strict=True)
    }


def horizon_months(config: SimulationConfig, reference: Reference) -> int:
    """History length: at least history_months + 1, and long enough that every player's
    in-window months are simulated (a player may have FTD years before the window)."""
    first = min(reference.launch_month[s] for s in select_states(config, reference))
    return max(config.history_months + 1, config.end_month - first + 1)


def clean_rows(
    config: SimulationConfig,
    players: Players,
    month0: MonthZero,
    life: Lifetimes,
    tables: TypeTables,
    rng: np.random.Generator,
) -> RowTable:
    """One row per player per active month inside [start, end], with amounts."""
    start, end = config.start_month, config.end_month
    idx_parts, tenure_parts = [], []
    for m in range(life.horizon):
        month = players.ftd_month + m
        idx = np.flatnonzero(life.activity[m] & (month >= start) & (month <= end))
        idx_parts.append(idx)
        tenure_parts.append(np.full(idx.size, m, dtype=np.int64))
    player = np.concatenate(idx_parts)
    tenure = np.concatenate(tenure_parts)
    n = player.size

    first = tenure == 0
    later = np.flatnonzero(~first)
    betting = (life.qp_offset[player[later]] != NO_MONTH) & (
        tenure[later] >= life.qp_offset[player[later]]
    )
    dep_l, handle_l, ngr_l = later_month_amounts(
        players.type[player[later]], players.product[player[later]], betting, tables, rng
    )
    deposit = np.empty(n, dtype=np.int64)
    handle = np.empty(n, dtype=np.int64)
    ngr = np.empty(n, dtype=np.int64)
    deposit[first], handle[first], ngr[first] = (
        month0.deposit[player[first]],
        month0.handle[player[first]],
        month0.ngr[player[first]],
    )
    deposit[later], handle[later], ngr[later] = dep_l, handle_l, ngr_l

    # The export is a snapshot at the end of the export month: a first bet after it is unknown.
    end_day = int(month_first_day(end) + days_in_month(end) - 1)
    qp_day = life.qp_day[player]
    qp_day = np.where((qp_day != NO_DAY) & (qp_day <= end_day), qp_day, NO_DAY)
    return RowTable(
        player=player.astype(np.int64),
        partner=players.partner[player],
        state=players.state[player],
        month=players.ftd_month[player] + tenure,
        account_num=players.account_num[player],
        account_test=np.zeros(n, dtype=bool),
        reg_day=players.reg_day[player],
        ftd_day=players.ftd_day[player],
        qp_day=qp_day,
        channel=players.channel[player],
        tracker=players.tracker[player],
        product=players.product[player],
        deposit=deposit,
        handle=handle,
        ngr=ngr,
        issue=np.zeros(n, dtype=np.int8),
        issue_arg=np.zeros(n, dtype=np.int32),
        copy_rank=np.zeros(n, dtype=np.int8),
    )


def labels_for(market: Market, tables: TypeTables, reference: Reference) -> Labels:
    """Text lookups for the coded columns, with each product's label variants."""
    return Labels(
        partner_ids=market.partner_ids,
        state_codes=market.state_codes,
        channel_ids=market.channel_ids,
        tracker_ids=market.tracker_ids,
        product_names=tables.product_names,
        product_variants=tuple(
            tuple(label_variants(reference.labels_for(p) or [p], p)) for p in tables.product_names
        ),
    )


def simulate(config: SimulationConfig) -> SimulationResult:
    """Simulates a partner export and its ground truth, deterministically for config.seed."""
    reference = load_reference(config.seeds_dir)
    rng = streams(config.seed)
    horizon = horizon_months(config, reference)
    tables = build_tables(config, horizon)
    market = build_market(config, reference, tables, rng["market"])
    players = draw_players(config, market, tables, rng["players"])
    month0 = draw_month_zero(
        players.type, players.product, players.ftd_day, players.ftd_month, tables, rng["month_zero"]
    )
    life = simulate_lifetimes(
        players.type,
        players.product,
        players.ftd_month,
        players.ftd_day,
        month0,
        tables,
        horizon,
        config.min_return_gap,
        config.return_gap_mean,
        rng["lifetimes"],
    )
    rows = clean_rows(config, players, month0, life, tables, rng["money"])
    n_clean = rows.n
    export_rows = np.bincount(rows.player, minlength=players.n)
    if any(rate > 0 for rate in config.issues.values()):
        context = ProblemContext(
            config.start_month, config.end_month, market.entry, players.ftd_month, life.activity
        )
        rows = inject_problems(rows, context, config.issues, rng["problems"])
    rows = rows.sorted()
    labels = labels_for(market, tables, reference)
    change = format_change(config, market, rows)
    table = render_export(rows, labels, change)

    account_ids = _player_accounts(players)
    truth = {
        "players": players_frame(
            config, market, tables, players, month0, life, export_rows, account_ids
        ),
        "activity": pd.DataFrame(
            {
                "player_id": np.arange(players.n, dtype=np.int64),
                "partner_id": np.array(market.partner_ids, dtype=object)[players.partner],
                "account_id": account_ids,
                "history": pd.Series(pd.arrays.ArrowExtensionArray(history_strings(life.activity))),
            }
        ),
        "issues": issues_frame(rows, table.column("account_id").combine_chunks(), market),
        "type_effects": type_effects_frame(market, tables),
        "partner_states": partner_states_frame(market),
        "changes": changes_frame(config, market, tables, players, export_rows, rows, change),
    }
    t = truth["players"]["survival_time"].to_numpy()
    truth["survival_curves"] = survival_curves(t, players.partner, players.state, market)
    summary = _summary(config, market, horizon, players, export_rows, n_clean, table, truth)
    return SimulationResult(config, table, truth, summary)


def format_change(config: SimulationConfig, market: Market, rows: RowTable) -> FormatChange | None:
    """The rows the configured format change applies to: its partner's (or every partner's)
    rows dated in or after its month; None when no change is configured."""
    if config.format_change_month is None:
        return None
    mask = rows.month >= parse_month(config.format_change_month)
    if config.format_change_partner is not None:
        mask &= rows.partner == market.partner_ids.index(config.format_change_partner)
    return FormatChange(mask, config.format_changes)


def _player_accounts(players: Players) -> np.ndarray:
    ids = format_accounts(players.account_num, np.zeros(players.n, dtype=bool))
    return ids.to_numpy(zero_copy_only=False)


def _summary(
    config: SimulationConfig,
    market: Market,
    horizon: int,
    players: Players,
    export_rows: np.ndarray,
    n_clean: int,
    table: pa.Table,
    truth: dict[str, pd.DataFrame],
) -> dict[str, Any]:
    issues = truth["issues"]
    counts = issues["issue"].value_counts()
    return {
        "config": config.to_dict(),
        "window": [month_label(config.start_month), month_label(config.end_month)],
        "states": list(market.state_codes),
        "partners": list(market.partner_ids),
        "history_months": horizon,
        "n_players": int(players.n),
        "n_export_players": int((export_rows > 0).sum()),
        "n_clean_rows": int(n_clean),
        "n_export_rows": int(table.num_rows),
        "issue_counts": {
            spec.name: int(counts.get(spec.name, 0)) for spec in ISSUE_BY_CODE.values()
        },
    }


def write_truth(result: SimulationResult, directory: str | Path) -> Path:
    """Writes the truth frames as parquet and config.json (config + summary) into `directory`."""
    return write_truth_frames(result.truth, result.summary, directory)


def default_truth_dir(out: str | Path) -> Path:
    """'<folder>/<name without suffixes>.truth' next to the export."""
    out = Path(out)
    return out.with_name(f"{out.name.split('.')[0]}.truth")


def write_result(
    result: SimulationResult,
    out: str | Path,
    truth_dir: str | Path | None = None,
    with_truth: bool = True,
) -> tuple[Path, Path | None]:
    """Writes the export to `out` and, unless disabled, the truth to `truth_dir`
    (default: '<out without suffixes>.truth/' next to the export)."""
    out = Path(out)
    write_export(result.export_table, out)
    if not with_truth:
        return out, None
    return out, write_truth(result, truth_dir or default_truth_dir(out))
