"""The report's figures: one function per figure, query frames in, a matplotlib Figure out.

Each function takes the frames of the analyses it draws (by analysis name) and nothing else, so a
figure shows exactly what the SQL returned. `png_base64` turns a figure into the text embedded in
the HTML.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable, Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

Frames = Mapping[str, pd.DataFrame]
DrawFunction = Callable[[Frames], Figure]

WIDE = (9.5, 4.6)
SQUARE = (6.4, 5.2)
PALETTE = [plt.get_cmap("tab10")(i) for i in range(10)]
ACTION_COLOURS = {"quarantine": "#c0392b", "flag": "#e67e22", "normalise": "#2980b9"}
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EXTRAPOLATED_NOTE = "solid: observed months; dashed: extrapolated by the tail model"

plt.rcParams.update(
    {
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 8.5,
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": 100,
    }
)


def png_base64(figure: Figure) -> str:
    """The figure as base64 PNG text (closed afterwards, so figures do not pile up)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _colours(keys: list[str]) -> dict[str, tuple]:
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(sorted(keys))}


def _thousands(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def _percent(axis, decimals: int | None = None) -> None:
    axis.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def _legend_below(figure: Figure, axes: list, ncol: int = 3, **kwargs) -> None:
    """One legend for the given axes, under the figure: it never covers data, whatever the
    export. Call after tight_layout (savefig's tight box takes it in)."""
    handles, labels = [], []
    for axis in axes:
        more_handles, more_labels = axis.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    if handles:
        figure.legend(
            handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, **kwargs
        )


def _legend_right(axis, **kwargs) -> None:
    """The axis's legend outside it, on the right, so it covers no bar or line."""
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def _money(value: float) -> str:
    if value >= 1e6:
        return f"${value / 1e6:g}M"
    if value >= 1e3:
        return f"${value / 1e3:g}k"
    return f"${value:g}"


# --- exploration -----------------------------------------------------------------------------


def _by_partner(partners: Iterable[str], several: str = "by partner") -> str:
    """`several` in a title over several partners; the partner on a one-partner export."""
    names = list(partners)
    return f"partner {names[0]}" if len(names) == 1 else several


def monthly_volumes(frames: Frames) -> Figure:
    """Active players (stacked) and FTDs per month, by partner."""
    data = frames["eda_monthly_volumes"].copy()
    data["activity_month"] = pd.to_datetime(data["activity_month"])
    active = data.pivot(
        index="activity_month", columns="partner_id", values="n_active_players"
    ).fillna(0)
    ftds = data.pivot(index="activity_month", columns="partner_id", values="n_ftds").fillna(0)
    colours = _colours(list(active.columns))
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 6.4), sharex=True)
    top.stackplot(
        active.index,
        [active[c] for c in active.columns],
        labels=list(active.columns),
        colors=[colours[c] for c in active.columns],
        alpha=0.85,
    )
    stacked = _by_partner(active.columns, "stacked by partner")
    top.set_title(f"Active players per month (a deposit or a bet), {stacked}")
    top.set_ylabel("active players")
    _thousands(top.yaxis)
    _legend_right(top, title="partner")
    for column in ftds.columns:
        bottom.plot(ftds.index, ftds[column], color=colours[column], label=column, lw=1.4)
    bottom.set_title(f"First-time depositors (FTDs) per month, {_by_partner(ftds.columns)}")
    bottom.set_ylabel("FTDs")
    bottom.set_xlabel("calendar month")
    _thousands(bottom.yaxis)
    figure.tight_layout()
    return figure


def state_volumes(frames: Frames) -> Figure:
    """Players per state, stacked by partner."""
    data = frames["eda_state_volumes"]
    order = data.drop_duplicates("geo").sort_values(["n_state_players", "geo"])["geo"]
    table = data.pivot(index="geo", columns="partner_id", values="n_players").fillna(0)
    table = table.loc[order]
    colours = _colours(list(table.columns))
    figure, axis = plt.subplots(figsize=(9.5, max(3.5, 0.32 * len(table) + 1.2)))
    left = np.zeros(len(table))
    for column in table.columns:
        axis.barh(table.index, table[column], left=left, color=colours[column], label=column)
        left += table[column].to_numpy()
    stacked = _by_partner(table.columns, "stacked by partner")
    axis.set_title(f"Players per state (brand), {stacked}: the partitions' sizes")
    axis.set_xlabel("players (first-time depositors)")
    axis.set_ylabel("state")
    _thousands(axis.xaxis)
    axis.grid(axis="y", alpha=0)
    _legend_right(axis, title="partner")
    figure.tight_layout()
    return figure


def cohort_retention(frames: Frames) -> Figure:
    """Heatmap of the share of each FTD cohort active at each months_active."""
    data = frames["eda_ftd_cohorts"].copy()
    data["ftd_month"] = pd.to_datetime(data["ftd_month"])
    grid = data.pivot(index="ftd_month", columns="months_active", values="share_active")
    grid = grid.reindex(columns=range(0, int(grid.columns.max()) + 1))
    figure, axis = plt.subplots(figsize=(9.5, 6.2))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#f2f2f2")
    image = axis.imshow(
        grid.to_numpy(dtype=float),
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=0,
        vmax=0.5,
        origin="upper",
    )
    rows = np.arange(0, len(grid), 6)
    axis.set_yticks(rows, [grid.index[int(i)].strftime("%Y-%m") for i in rows])
    axis.set_xlabel("months since the FTD month (months_active)")
    axis.set_ylabel("FTD cohort (month)")
    axis.set_title("Share of each FTD cohort active, by months since FTD (month 0 = 100%)")
    axis.grid(False)
    bar = figure.colorbar(image, ax=axis, extend="max", fraction=0.04)
    bar.set_label("share of the cohort active")
    _percent(bar.ax.yaxis)
    figure.tight_layout()
    return figure


def months_active(frames: Frames) -> Figure:
    """Players by number of active months, and survival time T by churned / censored."""
    capped = frames["eda_months_active_distribution"].sort_values("n_months")
    cap = 24  # the SQL counts every player at 24 months or more in its last row
    labels = [str(int(n)) if n < cap else f"{cap}+" for n in capped["n_months"]]
    figure, (left, right) = plt.subplots(1, 2, figsize=WIDE)
    left.bar(labels, capped["n_players_by_active_months"], color=PALETTE[0])
    left.set_title("Active months per player")
    left.set_xlabel("active months in the panel")
    left.set_ylabel("players")
    # Side by side, not stacked: a stacked bar's upper part means nothing on a log axis.
    positions = np.arange(len(labels))
    right.bar(
        positions - 0.2,
        capped["n_churned_at_t"].where(capped["n_churned_at_t"] > 0),
        width=0.4,
        color=PALETTE[3],
        label="churned at T",
    )
    right.bar(
        positions + 0.2,
        capped["n_censored_at_t"].where(capped["n_censored_at_t"] > 0),
        width=0.4,
        color=PALETTE[7],
        label="right-censored at T",
    )
    right.set_xticks(positions, labels)
    right.set_title("Survival time T (months alive), churned or censored")
    right.set_xlabel("T (last active month + 1)")
    _legend_right(right)
    for axis in (left, right):
        axis.set_yscale("log")
        axis.tick_params(axis="x", labelsize=7, rotation=90)
        axis.grid(axis="x", alpha=0)
    figure.text(
        0.5,
        -0.02,
        "players who deposited before the data window are left out",
        ha="center",
        fontsize=8,
        color="#555555",
    )
    figure.tight_layout()
    return figure


def activity_gaps(frames: Frames) -> Figure:
    """Closed inactive gaps by length, split at K, and gaps still open at the export month."""
    data = frames["eda_activity_gaps"].sort_values("gap_months")
    data = data[data["gap_months"] <= 24]
    colours = [PALETTE[3] if churn else PALETTE[0] for churn in data["is_churn_length"]]
    figure, axis = plt.subplots(figsize=WIDE)
    axis.bar(data["gap_months"], data["n_closed_gaps"], color=colours, width=0.8)
    axis.plot(
        data["gap_months"], data["n_open_gaps"], "k.--", lw=1, label="gaps still open at the export"
    )
    axis.set_yscale("log")
    axis.set_title("Inactive gaps between active months, by length")
    axis.set_xlabel("gap length (inactive months in a row)")
    axis.set_ylabel("gaps (log scale)")
    axis.set_xticks(range(1, int(data["gap_months"].max()) + 1))
    handles = [
        Patch(color=PALETTE[0], label="closed by activity, shorter than K: a skip"),
        Patch(color=PALETTE[3], label="closed by activity after K or more: a reactivation"),
        *axis.get_legend_handles_labels()[0],
    ]
    _legend_right(axis, handles=handles)
    figure.tight_layout()
    return figure


def seasonality(frames: Frames) -> Figure:
    """Active rate and FTDs by calendar month; reactivation share of churn spells by start month."""
    data = frames["eda_seasonality"].sort_values("calendar_month")
    names = [MONTH_NAMES[int(m) - 1] for m in data["calendar_month"]]
    figure, (left, right) = plt.subplots(1, 2, figsize=WIDE)
    left.bar(names, data["n_ftds"], color=PALETTE[0], alpha=0.35, label="FTDs (left axis)")
    left.set_ylabel("FTDs (all years)")
    _thousands(left.yaxis)
    rate = left.twinx()
    rate.plot(names, data["active_rate"], "o-", color=PALETTE[1], label="active rate (right axis)")
    rate.set_ylabel("active rate of not-churned player-months")
    _percent(rate.yaxis)
    rate.grid(False)
    rate.spines["right"].set_visible(True)
    left.set_title("Summer low: FTDs and activity by calendar month")
    right.bar(
        names,
        data["share_churn_starts_reactivated"],
        color=PALETTE[3],
        label="churn spells reactivated (right panel)",
    )
    right.set_title("Churn spells that end in a reactivation,\nby calendar month the spell starts")
    right.set_ylabel("share of churn spells reactivated")
    _percent(right.yaxis)
    for axis in (left, right):
        axis.tick_params(axis="x", labelsize=8)
        axis.grid(axis="x", alpha=0)
    figure.tight_layout()
    _legend_below(figure, [left, rate, right])
    return figure


def money_distributions(frames: Frames) -> Figure:
    """Log-binned histograms of deposit, handle and NGR per active month, with their quantiles."""
    data = frames["eda_money_histogram"]
    quantiles = frames["eda_money_distributions"].set_index("measure")
    figure, axes = plt.subplots(1, 3, figsize=(11, 4.2), sharey=True)
    titles = {"deposit": "Deposit", "handle": "Handle (wagered)", "ngr": "NGR"}
    for axis, measure in zip(axes, ["deposit", "handle", "ngr"], strict=True):
        subset = data[data["measure"] == measure]
        for sign, colour, label in (
            ("positive", PALETTE[0], "positive"),
            ("negative", PALETTE[3], "negative (absolute value)"),
        ):
            part = subset[subset["sign"] == sign].sort_values("log10_lower")
            if len(part):
                axis.step(
                    10 ** part["log10_lower"],
                    part["n_months"],
                    where="post",
                    color=colour,
                    label=label,
                )
        if measure in quantiles.index:
            row = quantiles.loc[measure]
            for name, style in (("p50", ":"), ("p99", "--")):
                value = float(row[name])
                if value > 0:
                    axis.axvline(value, color="#333333", ls=style, lw=1)
                    axis.text(
                        value,
                        1.02,
                        name,
                        transform=axis.get_xaxis_transform(),
                        ha="center",
                        fontsize=8,
                    )
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(titles[measure], pad=14)
        axis.set_xlabel("amount per active month ($, log scale)")
        axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _money(v)))
    axes[0].set_ylabel("active player-months (log scale)")
    handles, labels = axes[2].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.06))
    figure.suptitle(
        "Money per active player-month (quarter-decade bins; dotted: median, dashed: "
        "99th percentile)",
        y=1.03,
    )
    figure.tight_layout()
    return figure


def money_concentration(frames: Frames) -> Figure:
    """Share of all deposits, handle and NGR brought by the top 1%, 5% and 10% of players."""
    data = frames["eda_money_concentration"].set_index("measure")
    tops = [
        ("share_top_1pct", "top 1%"),
        ("share_top_5pct", "top 5%"),
        ("share_top_10pct", "top 10%"),
    ]
    positions = np.arange(len(data))
    figure, axis = plt.subplots(figsize=(8, 4.2))
    width = 0.26
    for i, (column, label) in enumerate(tops):
        bars = axis.bar(
            positions + (i - 1) * width, data[column], width, label=label, color=PALETTE[i]
        )
        axis.bar_label(bars, labels=[f"{v:.0%}" for v in data[column]], fontsize=8)
    axis.set_xticks(positions, [m.upper() if m == "ngr" else m for m in data.index])
    axis.set_ylabel("share of the total")
    axis.set_ylim(0, 1.1)
    _percent(axis.yaxis)
    axis.set_title("Whales: share of the total from the top players of each measure")
    _legend_right(axis, title="players ranked\nby the measure")
    axis.grid(axis="x", alpha=0)
    figure.tight_layout()
    return figure


def negative_ngr(frames: Frames) -> Figure:
    """Share of negative NGR by product: active months, FTD months and players."""
    data = frames["eda_negative_ngr"].set_index("product")
    columns = [
        ("share_negative_months", "active months"),
        ("share_negative_ftd_months", "FTD months"),
        ("share_negative_players", "players (lifetime NGR)"),
    ]
    positions = np.arange(len(data))
    width = 0.26
    figure, axis = plt.subplots(figsize=(8, 4.2))
    for i, (column, label) in enumerate(columns):
        axis.bar(positions + (i - 1) * width, data[column], width, label=label, color=PALETTE[i])
    axis.set_xticks(positions, [f"{p}\n({n:,} players)" for p, n in data["n_players"].items()])
    axis.set_ylabel("share with negative NGR")
    _percent(axis.yaxis)
    axis.set_title("Negative NGR (the player won, or bonuses) by product")
    _legend_right(axis, title="share of")
    axis.grid(axis="x", alpha=0)
    figure.tight_layout()
    return figure


def lags(frames: Frames) -> Figure:
    """Registration-to-FTD and FTD-to-first-bet lags in buckets."""
    data = frames["eda_lags"]
    figure, axes = plt.subplots(1, 2, figsize=WIDE, sharey=True)
    titles = {
        "reg_to_ftd": "Registration to first deposit",
        "ftd_to_first_bet": "First deposit to first cash bet",
    }
    for axis, (lag_type, title) in zip(axes, titles.items(), strict=True):
        part = data[data["lag_type"] == lag_type].sort_values("bucket_order")
        colours = [
            PALETTE[3] if b in ("negative", "no first bet") else PALETTE[0] for b in part["bucket"]
        ]
        bars = axis.bar(part["bucket"], part["share_players"], color=colours)
        axis.bar_label(bars, labels=[f"{v:.1%}" for v in part["share_players"]], fontsize=7)
        axis.set_title(title)
        axis.tick_params(axis="x", rotation=45, labelsize=8)
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("right")
        axis.grid(axis="x", alpha=0)
    axes[0].set_ylabel("share of players")
    _percent(axes[0].yaxis)
    figure.tight_layout()
    return figure


def product_channel(frames: Frames) -> Figure:
    """Product mix within each channel (our referring brand): each column sums to 100%, so the
    columns compare mixes whatever the channels' sizes; the players are in the labels."""
    data = frames["eda_product_channel_mix"]
    shares = data.pivot(index="product", columns="ben_login_id", values="share_of_channel")
    order = data.drop_duplicates("product").sort_values("n_product_players", ascending=False)
    shares = shares.loc[order["product"]].fillna(0)
    channel_players = data.drop_duplicates("ben_login_id").set_index("ben_login_id")[
        "n_channel_players"
    ]
    figure, axis = plt.subplots(figsize=(8.5, max(3.2, 0.55 * len(shares) + 1.6)))
    image = axis.imshow(shares.to_numpy(dtype=float), cmap="Blues", aspect="auto", vmin=0, vmax=1)
    axis.set_xticks(
        range(len(shares.columns)), [f"{c}\n({int(channel_players[c]):,})" for c in shares.columns]
    )
    axis.set_yticks(range(len(shares.index)), shares.index)
    for (i, j), value in np.ndenumerate(shares.to_numpy()):
        axis.text(
            j,
            i,
            f"{value:.0%}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value > 0.6 else "black",
        )
    axis.set_xlabel("channel (ben_login_id: our referring brand), its players")
    axis.set_ylabel("registration product")
    axis.set_title("Product mix within each channel (each column sums to 100%)")
    axis.grid(False)
    bar = figure.colorbar(image, ax=axis, fraction=0.04)
    bar.set_label("share of the channel's players")
    _percent(bar.ax.yaxis)
    figure.tight_layout()
    return figure


def data_problems(frames: Frames) -> Figure:
    """Rows affected by each data problem, coloured by what the warehouse does with them."""
    data = frames["eda_data_problems"].sort_values("check_order", ascending=False)
    figure, axis = plt.subplots(figsize=(9.5, max(3.5, 0.33 * len(data) + 1.2)))
    colours = [ACTION_COLOURS.get(a, "#7f8c8d") for a in data["action"]]
    axis.set_xscale("log")
    counts = data["n_rows"].astype(float)
    axis.barh(data["problem"], counts.where(counts > 0), color=colours)
    for position, value in enumerate(counts):
        axis.text(max(value, 1.0) * 1.08, position, f"{value:,.0f}", va="center", fontsize=8)
    axis.set_xlim(0.8, counts.max() * 4)
    # Every problem keeps its row, zero included: autoscaling spans only the drawn bars.
    axis.set_ylim(-0.6, len(data) - 0.4)
    axis.set_xlabel("rows (log scale)")
    axis.set_title("Data problems by reason: quarantined, kept with a flag, or normalised")
    _legend_right(axis, handles=[Patch(color=c, label=a) for a, c in ACTION_COLOURS.items()])
    axis.grid(axis="y", alpha=0)
    figure.tight_layout()
    return figure


# --- models ----------------------------------------------------------------------------------


def _survival_lines(axis, curve: pd.DataFrame, colour, label: str) -> None:
    """One curve: solid band and line over observed months, dashed and lighter beyond them."""
    curve = curve.sort_values("month_number")
    observed = curve[~curve["is_extrapolated"].astype(bool)]
    tail = curve[curve["is_extrapolated"].astype(bool)]
    if len(tail) and len(observed):
        tail = pd.concat([observed.tail(1), tail])
    axis.plot(observed["month_number"], observed["survival"], color=colour, lw=1.6, label=label)
    axis.fill_between(
        observed["month_number"],
        observed["survival_lower"],
        observed["survival_upper"],
        color=colour,
        alpha=0.2,
        lw=0,
    )
    if len(tail):
        axis.plot(tail["month_number"], tail["survival"], color=colour, lw=1.4, ls="--")
        axis.fill_between(
            tail["month_number"],
            tail["survival_lower"],
            tail["survival_upper"],
            color=colour,
            alpha=0.08,
            lw=0,
            hatch="///",
        )


def _survival_axes(axis, title: str) -> None:
    axis.set_xlim(0, 60)
    axis.set_ylim(0, 1)
    axis.set_xlabel("months since the FTD month")
    axis.set_ylabel("S(m): share not yet churned")
    _percent(axis.yaxis)
    axis.set_title(title)


def survival_by_state(frames: Frames) -> Figure:
    """Small multiples: one panel per state of the largest partner, curve with band, the
    extrapolated months dashed, the other states in grey for reference."""
    data = frames["models_survival_by_state"]
    partner = data["partner_id"].iloc[0]
    states = data.sort_values("state_rank")[["geo", "n_players"]].drop_duplicates()
    n_columns = 3
    n_rows = -(-len(states) // n_columns)
    figure, axes = plt.subplots(
        n_rows, n_columns, figsize=(11, 3.4 * n_rows + 0.4), sharex=True, sharey=True, squeeze=False
    )
    for i, (geo, n_players) in enumerate(states.itertuples(index=False)):
        axis = axes.flat[i]
        for other in states["geo"]:
            if other != geo:
                part = data[data["geo"] == other].sort_values("month_number")
                axis.plot(part["month_number"], part["survival"], color="#cccccc", lw=0.8)
        curve = data[data["geo"] == geo]
        _survival_lines(axis, curve, PALETTE[i % len(PALETTE)], "observed, 95% band")
        observed = int(curve["last_observed_month"].iloc[0])
        if observed < 60:
            axis.axvline(observed, color="#555555", lw=0.8, ls=":")
            axis.text(
                observed + 1, 0.6, f"observed to\nmonth {observed}", fontsize=7.5, color="#555555"
            )
        axis.set_title(f"{partner} x {geo} ({n_players:,} players)")
        axis.set_yscale("log")
        axis.set_ylim(0.005, 1)
        axis.set_xlim(0, 60)
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    for axis in axes.flat[len(states) :]:
        axis.set_visible(False)
    for axis in axes[:, 0]:
        axis.set_ylabel("S(m), log scale")
    for axis in axes[-1, :]:
        axis.set_xlabel("months since the FTD month")
    figure.legend(
        handles=[
            plt.Line2D([], [], color="black", lw=1.6, label="observed months, 95% band"),
            plt.Line2D(
                [],
                [],
                color="black",
                lw=1.4,
                ls="--",
                label="extrapolated by the tail model (hatched band)",
            ),
            plt.Line2D([], [], color="#cccccc", lw=0.8, label="the partner's other states"),
        ],
        loc="lower center",
        ncol=3,
        bbox_to_anchor=(0.5, -0.03),
    )
    figure.suptitle(f"Survival by state: partner {partner}'s largest states", y=1.0)
    figure.tight_layout()
    return figure


def survival_by_product(frames: Frames) -> Figure:
    """Survival curves with bands over all partners, by product and overall."""
    data = frames["models_survival_by_product"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    curves = (
        data[["curve", "n_players"]].drop_duplicates().sort_values("n_players", ascending=False)
    )
    for i, (curve, n_players) in enumerate(curves.itertuples(index=False)):
        colour = "black" if curve == "all players" else PALETTE[i % len(PALETTE)]
        part = data[data["curve"] == curve]
        for axis in (left, right):
            _survival_lines(axis, part, colour, f"{curve} ({n_players:,})")
    _survival_axes(left, "All partners, by registration product")
    _survival_axes(right, "The same, zoomed on the tail (log scale)")
    right.set_yscale("log")
    right.set_ylim(0.003, 1)
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    figure.tight_layout()
    _legend_below(figure, [left], ncol=3, title=EXTRAPOLATED_NOTE, title_fontsize=7.5)
    return figure


def hazard(frames: Frames) -> Figure:
    """Monthly churn hazard by months since FTD (all partners and each partner), with the number
    at risk below it: the late months rest on few players."""
    data = frames["models_hazard"]
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(9.5, 6.2), sharex=True, height_ratios=[3, 1.3]
    )
    partners = sorted(c for c in data["curve"].unique() if c != "all partners")
    colours = _colours(partners)
    curves = [(c, colours[c], 1.0, 0.8) for c in partners] + [("all partners", "black", 2.2, 1)]
    for curve, colour, width, alpha in curves:
        part = data[(data["curve"] == curve) & (data["hazard"] > 0)].sort_values("month_number")
        observed = part[~part["is_extrapolated"].astype(bool)]
        tail = part[part["is_extrapolated"].astype(bool)]
        label = "all partners (pooled)" if curve == "all partners" else curve
        top.plot(
            observed["month_number"],
            observed["hazard"],
            color=colour,
            lw=width,
            alpha=alpha,
            label=label,
        )
        if len(tail):
            top.plot(
                tail["month_number"], tail["hazard"], color=colour, lw=width, alpha=alpha, ls="--"
            )
        at_risk = data[data["curve"] == curve].sort_values("month_number")
        bottom.plot(
            at_risk["month_number"],
            at_risk["n_at_risk"].where(at_risk["n_at_risk"] > 0),
            color=colour,
            lw=width * 0.8,
            alpha=alpha,
        )
    overall = data[(data["curve"] == "all partners") & (data["raw_hazard"] > 0)]
    top.plot(
        overall["month_number"],
        overall["raw_hazard"],
        "k.",
        ms=4,
        label="all partners: events / at risk",
    )
    top.set_yscale("log")
    top.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    top.set_ylabel("hazard: P(churn at m | alive to m-1)")
    top.set_title("Monthly churn hazard by months since FTD (dashed: a partner's tail model)")
    _legend_right(top)
    bottom.set_yscale("log")
    bottom.set_ylabel("players at risk")
    bottom.set_xlabel("month since FTD (m)")
    bottom.set_xlim(0.5, 60)
    _thousands(bottom.yaxis)
    figure.tight_layout()
    return figure


def pooled_vs_raw(frames: Frames) -> Figure:
    """A small partition: pooled curve and bands vs its own Kaplan-Meier and its partner's."""
    data = frames["models_pooled_vs_raw"].sort_values("month_number")
    first = data.iloc[0]
    label = f"{first['partner_id']} x {first['geo']}"
    figure, axis = plt.subplots(figsize=WIDE)
    raw = data[data["raw_survival"].notna()]
    axis.errorbar(
        raw["month_number"] + 0.25,
        raw["raw_survival"],
        yerr=np.vstack(
            [raw["raw_survival"] - raw["raw_lower"], raw["raw_upper"] - raw["raw_survival"]]
        ),
        fmt="o",
        ms=3,
        color=PALETTE[3],
        elinewidth=0.8,
        capsize=0,
        label="own Kaplan-Meier (raw) with its 95% band",
    )
    _survival_lines(
        axis,
        data.rename(
            columns={
                "pooled_survival": "survival",
                "pooled_lower": "survival_lower",
                "pooled_upper": "survival_upper",
            }
        ),
        PALETTE[0],
        "pooled (empirical Bayes) with its band; dashed: tail",
    )
    axis.plot(
        data["month_number"],
        data["partner_survival"],
        color="#333333",
        lw=1,
        ls=":",
        label=f"partner {first['partner_id']} (the parent)",
    )
    _survival_axes(
        axis,
        f"Pooling on a small partition: {label}, {int(first['n_players']):,} players "
        f"(own-data weight {first['mean_pooling_weight_first_year']:.0%} in year 1)",
    )
    axis.set_ylim(0, 0.6)
    axis.set_xlim(0.5, 60)
    _legend_right(axis)
    figure.tight_layout()
    return figure


def survival_backtest(frames: Frames) -> Figure:
    """Out-of-time backtest: over all partners, predicted vs realised survival and their
    difference by month for each cutoff; below, the error of the extrapolated months by horizon
    for every level. The difference panel keeps the cutoffs apart where the curves overlap."""
    curve = frames["models_survival_backtest_curve"]
    errors = frames["models_survival_backtest_error"]
    figure = plt.figure(figsize=(11, 8.2))
    grid = figure.add_gridspec(2, 2, height_ratios=[1, 1])
    left, middle = figure.add_subplot(grid[0, 0]), figure.add_subplot(grid[0, 1])
    bottom = figure.add_subplot(grid[1, :])
    cutoffs = sorted(int(c) for c in curve["cutoff_offset_months"].unique())
    colours = {cutoff: PALETTE[i % len(PALETTE)] for i, cutoff in enumerate(cutoffs)}
    # The longest cutoff first, so the shorter one (fewer months to predict) is drawn on top.
    for cutoff in sorted(cutoffs, reverse=True):
        part = curve[curve["cutoff_offset_months"] == cutoff].sort_values("month_number")
        colour = colours[cutoff]
        left.plot(
            part["month_number"],
            part["realised_survival"],
            color=colour,
            lw=1.0,
            alpha=0.6,
            label=f"cutoff -{cutoff}: realised at the export",
        )
        left.plot(
            part["month_number"],
            part["predicted_survival"],
            color=colour,
            lw=1.6,
            ls="--",
            label=f"cutoff -{cutoff}: predicted at the cutoff",
        )
        difference = 100 * (part["predicted_survival"] - part["realised_survival"])
        middle.plot(
            part["month_number"], difference, color=colour, lw=1.4, label=f"cutoff -{cutoff}"
        )
        extrapolated = part.loc[part["is_extrapolated"].astype(bool), "month_number"]
        if len(extrapolated):
            middle.axvspan(extrapolated.min(), extrapolated.max(), color=colour, alpha=0.12, lw=0)
    _survival_axes(left, "All partners: predicted at the cutoff vs realised")
    left.set_yscale("log")
    left.set_ylim(0.005, 1)
    left.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    middle.axhline(0, color="#555555", lw=0.8)
    middle.set_xlim(0, 60)
    middle.set_xlabel("months since the FTD month")
    middle.set_ylabel("predicted - realised (percentage points)")
    middle.set_title("All partners: the difference (shaded: months extrapolated, if any)")
    styles = ["-", "--", ":", "-."]
    levels = [lv for lv in ("partition", "partner", "all") if lv in set(errors["pooling_level"])]
    for i, level in enumerate(levels):
        at_level = errors[errors["pooling_level"] == level]
        offsets = sorted(int(c) for c in at_level["cutoff_offset_months"].dropna().unique())
        for j, offset in enumerate(offsets):
            part = at_level[at_level["cutoff_offset_months"] == offset]
            part = part.sort_values("horizon_months")
            bottom.plot(
                part["horizon_months"],
                part["mean_absolute_error"],
                marker="o",
                ms=3,
                color=PALETTE[i],
                ls=styles[j % len(styles)],
                label=f"{level}, cutoff -{offset}",
            )
    top = float(errors["mean_absolute_error"].max()) if len(errors) else 0.0
    bottom.set_ylim(0, top * 1.15 if top > 0 else 0.01)
    bottom.set_title("Extrapolated months: mean absolute error by horizon, per level")
    bottom.set_xlabel("months past the longest tenure observed at the cutoff")
    bottom.set_ylabel("mean |predicted - realised| survival")
    figure.tight_layout()
    # A survival curve starts high at month 0, so the lower left of its panel is always empty.
    left.legend(loc="lower left", fontsize=7.5)
    _legend_right(middle, fontsize=7.5)
    _legend_right(bottom, fontsize=7.5)
    figure.tight_layout()
    return figure


def _default_label(frames: Frames) -> str:
    candidates = frames.get("models_classifier_candidates")
    if candidates is None or not len(candidates):
        return "default model"
    row = candidates[candidates["is_default"].astype(bool)]
    return str(row["model_name"].iloc[0]) if len(row) else "default model"


def roc_curve(frames: Frames) -> Figure:
    """ROC curve of the default classifier on the test cohorts."""
    data = frames["models_classifier_roc_pr"].sort_values("threshold", ascending=False)
    candidates = frames.get("models_classifier_candidates")
    fpr = np.concatenate([[0.0], data["false_positive_rate"].to_numpy()])
    tpr = np.concatenate([[0.0], data["true_positive_rate"].to_numpy()])
    label = _default_label(frames)
    if candidates is not None and len(candidates):
        default = candidates[candidates["is_default"].astype(bool)]
        if len(default):
            row = default.iloc[0]
            label += (
                f": AUC {row['roc_auc']:.3f} "
                f"({row['roc_auc_lower']:.3f}-{row['roc_auc_upper']:.3f})"
            )
    figure, axis = plt.subplots(figsize=SQUARE)
    axis.plot(fpr, tpr, color=PALETTE[0], lw=1.8, label=label)
    axis.plot([0, 1], [0, 1], color="#888888", ls=":", lw=1, label="chance")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_aspect("equal")
    axis.set_xlabel("false positive rate (retained players flagged)")
    axis.set_ylabel("true positive rate (quick churners caught)")
    axis.set_title("ROC curve, test cohorts (out of time)")
    axis.legend(loc="lower right")
    figure.tight_layout()
    return figure


def precision_recall(frames: Frames) -> Figure:
    """Precision-recall curve of the default classifier on the test cohorts."""
    data = frames["models_classifier_roc_pr"].sort_values("threshold", ascending=False)
    base_rate = float(data["base_rate"].iloc[0])
    label = _default_label(frames)
    candidates = frames.get("models_classifier_candidates")
    if candidates is not None and len(candidates):
        row = candidates[candidates["is_default"].astype(bool)]
        if len(row):
            label += f": PR-AUC {row['pr_auc'].iloc[0]:.3f}"
    figure, axis = plt.subplots(figsize=SQUARE)
    axis.plot(data["true_positive_rate"], data["precision"], color=PALETTE[0], lw=1.8, label=label)
    axis.axhline(
        base_rate, color="#888888", ls=":", lw=1, label=f"base rate {base_rate:.1%} (no skill)"
    )
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("recall (share of quick churners caught)")
    axis.set_ylabel("precision (share of flagged who churn quickly)")
    _percent(axis.xaxis)
    _percent(axis.yaxis)
    axis.set_title("Precision-recall curve, test cohorts")
    axis.legend(loc="lower left")
    figure.tight_layout()
    return figure


def calibration(frames: Frames) -> Figure:
    """Calibration: mean predicted probability vs observed rate per bin, with player counts."""
    data = frames["models_classifier_calibration"].sort_values("bin_lower")
    data = data[data["n_players"] > 0]
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 6.4), height_ratios=[3, 1], sharex=True
    )
    # The SQL keeps the interval around the rate; clip guards against rounding at 0% and 100%.
    errors = np.vstack(
        [
            (data["observed_rate"] - data["observed_lower"]).clip(lower=0),
            (data["observed_upper"] - data["observed_rate"]).clip(lower=0),
        ]
    )
    top.errorbar(
        data["mean_probability"],
        data["observed_rate"],
        yerr=errors,
        fmt="o-",
        color=PALETTE[0],
        capsize=3,
        label="observed rate (Wilson 95%)",
    )
    top.plot([0, 1], [0, 1], color="#888888", ls=":", lw=1, label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_ylabel("observed quick-churn rate")
    _percent(top.yaxis)
    top.set_title(f"Calibration on the test cohorts ({_default_label(frames)})")
    top.legend(loc="upper left")
    bottom.bar(data["bin_lower"] + 0.05, data["n_players"], width=0.09, color=PALETTE[7])
    bottom.set_ylabel("players")
    bottom.set_xlabel("predicted probability of quick churn (bins of 0.1)")
    bottom.set_xlim(0, 1)
    _percent(bottom.xaxis)
    figure.tight_layout()
    return figure


def lift(frames: Frames) -> Figure:
    """Lift and cumulative capture by decile of predicted probability."""
    data = frames["models_classifier_lift"].sort_values("decile")
    figure, axis = plt.subplots(figsize=WIDE)
    bars = axis.bar(data["decile"], data["lift"], color=PALETTE[0], label="lift (left axis)")
    axis.bar_label(bars, labels=[f"{r:.0%}" for r in data["quick_churn_rate"]], fontsize=8)
    axis.axhline(1, color="#888888", ls=":", lw=1)
    axis.set_xticks(data["decile"])
    axis.set_xlabel(
        "decile of predicted probability (1 = the 10% highest); labels: quick-churn rate"
    )
    axis.set_ylabel("lift over the base rate")
    axis.set_ylim(0, float(data["lift"].max()) * 1.15)
    capture = axis.twinx()
    capture.plot(
        data["decile"],
        data["cumulative_capture"],
        "o-",
        color=PALETTE[1],
        label="cumulative share of quick churners caught (right axis)",
    )
    capture.set_ylim(0, 1.05)
    capture.grid(False)
    capture.spines["right"].set_visible(True)
    _percent(capture.yaxis)
    axis.set_title("Lift by decile, test cohorts")
    axis.grid(axis="x", alpha=0)
    figure.tight_layout()
    _legend_below(figure, [axis, capture], ncol=2)
    return figure


def score_distribution(frames: Frames, max_partitions: int = 24) -> Figure:
    """Quick-churn probability by partition: 10-90% whiskers and quartile boxes over every scored
    player; on the test cohorts, the mean predicted probability against the observed rate (the
    pair calibration compares: a mean, not the median, is what a rate should match)."""
    data = frames["models_score_distribution"].sort_values("n_players", ascending=False)
    data = data.head(max_partitions).iloc[::-1]
    labels = [
        f"{p} x {g} ({n:,})"
        for p, g, n in zip(data["partner_id"], data["geo"], data["n_players"], strict=True)
    ]
    positions = np.arange(len(data))
    figure, axis = plt.subplots(figsize=(9.5, max(4, 0.3 * len(data) + 1.4)))
    axis.hlines(positions, data["p10"], data["p90"], color="#888888", lw=1)
    axis.barh(
        positions,
        data["p75"] - data["p25"],
        left=data["p25"],
        height=0.6,
        color=PALETTE[0],
        alpha=0.35,
        label="all scored players: 25-75% (whiskers 10-90%)",
    )
    axis.scatter(
        data["mean_probability_test"],
        positions,
        marker="o",
        s=22,
        color="black",
        label="test cohorts: mean predicted probability",
    )
    axis.scatter(
        data["observed_rate_test"],
        positions,
        marker="D",
        s=18,
        color=PALETTE[3],
        label="test cohorts: observed quick-churn rate",
    )
    axis.set_yticks(positions, labels, fontsize=8)
    axis.set_xlim(0, 1)
    _percent(axis.xaxis)
    axis.set_xlabel("probability of quick churn")
    title = "Scores by partition (partner x state, scored players)"
    if len(frames["models_score_distribution"]) > max_partitions:
        title += f", largest {max_partitions}"
    axis.set_title(title)
    axis.grid(axis="y", alpha=0)
    figure.tight_layout()
    _legend_below(figure, [axis], ncol=1, fontsize=8)
    return figure
