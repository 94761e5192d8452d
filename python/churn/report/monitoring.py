"""reports/monitoring.html: the monitoring history of a warehouse, per data cutoff.

Prospective vs retrospective AUC with intervals, estimated vs realised performance, drift by
feature and partner, champion changes and alerts; every figure captioned, the page
self-contained like the other reports (render.py). Everything comes from the monitoring tables
(churn.monitoring.summary reads them).

    python -m churn.report.monitoring --database warehouse/replay/churn.duckdb --out reports
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from churn.monitoring import summary
from churn.monitoring.replay import month_argument
from churn.report import figures
from churn.report.render import FigureBlock, Section, TableBlock, page

plt = figures.plt
ALL = summary.ALL
FIGURE_IDS = (
    "fig-auc-over-time",
    "fig-estimated-vs-realised",
    "fig-psi-by-partner",
    "fig-psi-by-feature",
)


def _month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values)


def auc_over_time(frames: dict[str, pd.DataFrame]):
    """Retrospective AUC (with interval) of the version serving at each cutoff, and the
    prospective AUC of each cohort that matured, at the cutoff it matured."""
    scores, registry, metrics = frames["scores"], frames["registry"], frames["metrics"]
    served = scores.sort_values("n_scored").drop_duplicates("data_cutoff", keep="last")
    retro = served.merge(registry, on="model_version", how="inner", suffixes=("", "_trained"))
    prospective = summary.decision_point_cohorts(metrics)
    if not len(retro) and not len(prospective):
        raise ValueError("no served version and no matured cohort yet")
    figure, axis = plt.subplots(figsize=figures.WIDE)
    retro = retro.sort_values("data_cutoff")
    x = _month(retro["data_cutoff"])
    axis.fill_between(
        x,
        retro["roc_auc_lower"],
        retro["roc_auc_upper"],
        step="mid",
        alpha=0.25,
        color=figures.PALETTE[0],
        label="retrospective 95% interval",
    )
    axis.step(
        x,
        retro["roc_auc"],
        where="mid",
        color=figures.PALETTE[0],
        label="retrospective AUC of the serving version",
    )
    if len(prospective):
        px = _month(prospective["data_cutoff"])
        expected = prospective.dropna(
            subset=["retrospective_cohort_roc_auc_lower", "retrospective_cohort_roc_auc_upper"]
        )
        axis.vlines(
            _month(expected["data_cutoff"]),
            expected["retrospective_cohort_roc_auc_lower"],
            expected["retrospective_cohort_roc_auc_upper"],
            color="grey",
            lw=6,
            alpha=0.35,
            label="95% range of a cohort that size at the retrospective AUC",
        )
        axis.errorbar(
            px,
            prospective["roc_auc"],
            yerr=[
                (prospective["roc_auc"] - prospective["roc_auc_lower"]).clip(lower=0),
                (prospective["roc_auc_upper"] - prospective["roc_auc"]).clip(lower=0),
            ],
            fmt="o",
            color=figures.PALETTE[1],
            capsize=3,
            label="prospective AUC of the matured cohort (95% interval)",
        )
    axis.set_xlabel("data cutoff")
    axis.set_ylabel("ROC-AUC")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def estimated_vs_realised(frames: dict[str, pd.DataFrame]):
    """Per cohort, the AUC and base rate estimated when it was first scored against the
    realised ones, with the 0.02 tolerance band."""
    first = summary.first_estimates(frames["estimates"])
    first = first[first["is_realised"]] if len(first) else first
    if not len(first):
        raise ValueError("no cohort scored while unlabelled has matured yet")
    figure, (left, right) = plt.subplots(1, 2, figsize=figures.WIDE)
    for axis, estimated, realised, title in (
        (left, "estimated_roc_auc", "realised_roc_auc", "ROC-AUC"),
        (right, "estimated_base_rate", "realised_base_rate", "quick-churn rate"),
    ):
        values = first[[estimated, realised]].dropna()
        if not len(values):
            axis.text(0.5, 0.5, "no values", ha="center", transform=axis.transAxes)
            continue
        low = float(np.nanmin(values.to_numpy())) - 0.03
        high = float(np.nanmax(values.to_numpy())) + 0.03
        line = np.array([low, high])
        axis.plot(line, line, color="grey", lw=1, label="estimated = realised")
        if estimated == "estimated_roc_auc":
            axis.fill_between(
                line,
                line - summary.CBPE_TOLERANCE,
                line + summary.CBPE_TOLERANCE,
                color="grey",
                alpha=0.15,
                label="within 0.02",
            )
        axis.scatter(values[estimated], values[realised], color=figures.PALETTE[0], s=22)
        axis.set_xlim(low, high)
        axis.set_ylim(low, high)
        axis.set_xlabel(f"estimated {title} (from probabilities)")
        axis.set_ylabel(f"realised {title}")
        axis.legend(loc="upper left")
    return figure


def psi_by_partner(frames: dict[str, pd.DataFrame]):
    """The largest feature PSI per partner at each cutoff, with the alert threshold, over the
    rows with enough players to be judged."""
    psi = summary.judged_psi(frames["drift"])
    if not len(psi):
        raise ValueError("no feature drift rows")
    top = psi.groupby(["data_cutoff", "partner_id"])["value"].max().reset_index()
    figure, axis = plt.subplots(figsize=figures.WIDE)
    for index, (partner, rows) in enumerate(top.groupby("partner_id")):
        rows = rows.sort_values("data_cutoff")
        # matplotlib leaves labels starting with "_" out of the legend.
        label = "all partners" if partner == ALL else partner
        axis.plot(
            _month(rows["data_cutoff"]),
            rows["value"],
            marker="o",
            ms=3,
            color=figures.PALETTE[index % 10],
            label=label,
        )
    axis.axhline(
        float(psi["threshold"].iloc[0]), color="#c0392b", ls="--", lw=1, label="alert threshold"
    )
    axis.set_ylim(bottom=0)
    axis.set_xlabel("data cutoff")
    axis.set_ylabel("largest PSI over the features")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def psi_by_feature(frames: dict[str, pd.DataFrame]):
    """PSI of every feature (rows) at every cutoff (columns) for the partner with the largest
    PSI overall, over the rows with enough players to be judged."""
    psi = summary.judged_psi(frames["drift"])
    psi = psi[psi["partner_id"] != ALL] if len(psi) else psi
    if not len(psi):
        raise ValueError("no per-partner feature drift rows")
    partner = psi.sort_values("value").iloc[-1]["partner_id"]
    grid = psi[psi["partner_id"] == partner].pivot_table(
        index="subject", columns="data_cutoff", values="value", aggfunc="max"
    )
    figure, axis = plt.subplots(figsize=(9.5, 0.32 * len(grid) + 1.6))
    image = axis.imshow(
        grid.to_numpy(dtype=float),
        aspect="auto",
        cmap="Reds",
        vmin=0,
        vmax=max(0.4, float(np.nanmax(grid.to_numpy(dtype=float)))),
    )
    axis.set_yticks(range(len(grid)), grid.index)
    axis.set_xticks(
        range(len(grid.columns)),
        [pd.Timestamp(c).strftime("%Y-%m") for c in grid.columns],
        rotation=60,
    )
    axis.grid(False)
    axis.set_title(f"partner {partner}")
    figure.colorbar(image, ax=axis, label="PSI")
    return figure


CAPTIONS = {
    "fig-auc-over-time": (
        "Blue: the test ROC-AUC of the version serving at each data cutoff, measured on its own "
        "test cohorts when it was trained, with its bootstrap 95% interval. Orange: the FTD "
        "cohort whose quick-churn label matured at that cutoff, judged prospectively: on the "
        "scores made at its decision point, before the outcome existed, by the version serving "
        "then (H - 1 + K months earlier, often not the version the blue line shows at that "
        "cutoff). Grey: the range the AUC of one cohort of that size falls in if that scoring "
        "version performs as in its own test; an orange point is judged against its grey bar, "
        "not the blue band, which is for all test cohorts pooled, many more players."
    ),
    "fig-estimated-vs-realised": (
        "Each point is an FTD cohort over all partners: left, the ROC-AUC expected from the "
        "calibrated probabilities alone when the cohort was first scored (CBPE) against the AUC "
        "realised once its labels matured; right, the same for the quick-churn rate. The grey "
        "band is the 0.02 tolerance of the target; the realised AUC of a cohort of n players "
        "has a sampling sd of about 0.55 / sqrt(n) at these AUCs (0.018 at 1,000 players), so "
        "points leave the band by chance alone on small cohorts."
    ),
    "fig-psi-by-partner": (
        "The largest population stability index over the model features of the newest cohorts, "
        "against the cohorts the serving model was trained on, per partner and over all "
        "partners, over the rows with at least `monitoring_drift_min_players` players on both "
        "sides (a PSI on a dozen players is noise); dashed: the alert threshold (var "
        "`monitoring_psi_threshold`). Calendar "
        "features are left out: a single new cohort differs from the training cohorts by "
        "construction."
    ),
    "fig-psi-by-feature": (
        "PSI per feature and data cutoff for the partner whose PSI was largest; a column of dark "
        "cells is a change in that partner's new players."
    ),
}
DRAW: dict[str, tuple[str, Callable]] = {
    "fig-auc-over-time": ("Prospective vs retrospective AUC", auc_over_time),
    "fig-estimated-vs-realised": ("Estimated vs realised performance", estimated_vs_realised),
    "fig-psi-by-partner": ("Feature drift by partner", psi_by_partner),
    "fig-psi-by-feature": ("Feature drift by feature", psi_by_feature),
}


def _figure(figure_id: str, frames: dict[str, pd.DataFrame]) -> FigureBlock:
    title, draw = DRAW[figure_id]
    try:
        image = figures.png_base64(draw(frames))
    except Exception as error:  # noqa: BLE001 - one figure must not sink the report
        plt.close("all")
        return FigureBlock(figure_id, title, CAPTIONS[figure_id], missing_reason=f"{error}")
    return FigureBlock(figure_id, title, CAPTIONS[figure_id], png_base64=image)


def _registry_table(registry: pd.DataFrame) -> pd.DataFrame | None:
    if not len(registry):
        return None
    rows = registry.sort_values(["data_cutoff", "registry_version"])
    return pd.DataFrame(
        {
            "version": rows["registry_version"].astype(str),
            "model": rows["model_version"],
            "cutoff": pd.to_datetime(rows["data_cutoff"]).dt.strftime("%Y-%m"),
            "status": rows["status"],
            "decision": rows["decision_reason"],
        }
    )


def build_report(database: Path | str, shift_month: str | None = None) -> str:
    """The monitoring page as HTML; `shift_month` (YYYY-MM of a known change, as in a replay of
    a simulated shift) adds the drift target and splits the others at it."""
    frames = summary.load(database)
    table = summary.cutoff_table(frames)
    targets = summary.targets(frames, shift_month)
    bullets = []
    if len(table):
        latest = table.iloc[-1]
        bullets += [
            f"{len(table)} data cutoffs, {table['cutoff'].iloc[0]} to {latest['cutoff']}; "
            f"{len(frames['registry'])} registered versions.",
            f"Serving at the latest cutoff: `{latest['serving']}`; its alerts: {latest['alerts']}.",
        ]
    bullets += [f"{target.name}: {target.measured}." for target in targets]
    sections = [
        Section(
            "sec-overview",
            "Overview",
            bullets or ["No monitoring history in this warehouse."],
            [
                TableBlock(
                    "tab-cutoffs",
                    "Per data cutoff: serving version, decision, "
                    "retrospective and prospective AUC, CBPE estimate and realised AUC of "
                    "the matured cohort, largest PSI, alerts.",
                    table,
                    "no monitoring history",
                )
            ],
        ),
        Section(
            "sec-performance",
            "Performance over time",
            [],
            [_figure("fig-auc-over-time", frames), _figure("fig-estimated-vs-realised", frames)],
        ),
        Section(
            "sec-drift",
            "Drift",
            [],
            [_figure("fig-psi-by-partner", frames), _figure("fig-psi-by-feature", frames)],
        ),
        Section(
            "sec-champion",
            "Champion changes",
            [],
            [
                TableBlock(
                    "tab-registry",
                    "Every registered version (MLflow registry mirror, "
                    "`churn_model_registry`): its cutoff, status now and the promotion "
                    "decision with its reason.",
                    _registry_table(frames["registry"]),
                    "nothing registered",
                )
            ],
        ),
    ]
    return page(
        "Churn warehouse: monitoring over time",
        f"Warehouse {Path(database).name}: every number comes from the monitoring tables "
        "(`churn_score_history`, `churn_model_metrics_history`, "
        "`churn_performance_estimates`, `churn_drift`, `churn_model_registry`).",
        sections,
    )


def write_report(database: Path | str, out: Path | str, shift_month: str | None = None) -> Path:
    """Writes monitoring.html into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "monitoring.html"
    path.write_text(build_report(database, shift_month), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m churn.report.monitoring", description="Render reports/monitoring.html."
    )
    parser.add_argument("--database", type=Path, default=Path("warehouse/churn.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument(
        "--shift-month",
        type=month_argument,
        help="YYYY-MM of a known change (a simulated shift), for the targets",
    )
    args = parser.parse_args(argv)
    if not args.database.is_file():
        print(f"error: no warehouse at {args.database}", file=sys.stderr)
        return 2
    print(f"wrote {write_report(args.database, args.out, args.shift_month)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
