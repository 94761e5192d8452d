"""The monitoring history read back: one row per data cutoff and the issue's targets, for the
replay's printed report and reports/monitoring.html. Everything here is computed from the
warehouse's monitoring tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from churn.monitoring.estimation import share_within_by_chance

ALL = "_all"
CBPE_TOLERANCE = 0.02
QUERIES = {
    "scores": """
        select data_cutoff, model_version, count(*) as n_scored,
            count(case when data_split = 'unlabelled' then 1 end) as n_unlabelled
        from marts.churn_score_history group by data_cutoff, model_version""",
    "registry": "select * from marts.churn_model_registry",
    "metrics": "select * from marts.churn_model_metrics_history",
    "estimates": "select * from marts.churn_performance_estimates",
    "drift": "select * from marts.churn_drift",
}


def judged_psi(drift: pd.DataFrame) -> pd.DataFrame:
    """The feature PSI rows resting on enough players (`has_enough_players`; rows of a
    warehouse built before that column existed count as judged)."""
    if not len(drift):
        return drift
    enough = (
        drift["has_enough_players"].astype("boolean").fillna(True).astype(bool)
        if "has_enough_players" in drift
        else True
    )
    return drift[(drift["metric"] == "feature_psi") & enough]


def load(database: Path | str) -> dict[str, pd.DataFrame]:
    """The monitoring tables of a warehouse (an empty frame for a table that is missing)."""
    frames = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        for name, sql in QUERIES.items():
            try:
                frames[name] = connection.sql(sql).df()
            except duckdb.Error:
                frames[name] = pd.DataFrame()
    return frames


def _short(version: object) -> str:
    return str(version).replace("quick-churn-", "")[:17] if isinstance(version, str) else ""


def _range(low: float, high: float) -> str:
    return "" if pd.isna(low) or pd.isna(high) else f"[{low:.3f}, {high:.3f}]"


def _interval(value: float, low: float, high: float) -> str:
    if pd.isna(value):
        return ""
    if pd.isna(low) or pd.isna(high):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def first_estimates(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per FTD cohort over all partners, the estimate made when it was first scored (at its
    decision point), with the realised figures."""
    if not len(estimates):
        return estimates
    rows = estimates[estimates["partner_id"] == ALL].sort_values(["ftd_month", "data_cutoff"])
    return rows.drop_duplicates("ftd_month", keep="first")


def decision_point_cohorts(metrics: pd.DataFrame) -> pd.DataFrame:
    """The prospective rows over all partners, one per cutoff and matured FTD cohort: the
    players scored at the cohort's decision point (the earliest cutoff that scored it, as
    `first_estimates` and the history's first scores define it). The history keeps, at its
    grain, the few players of a cohort first scored at later cutoffs (they reached the export
    late) as groups of their own, of one to a dozen players: an AUC of 1.0 or none that says
    nothing about the cohort, and scores made with more data than the decision point had."""
    if not len(metrics):
        return metrics
    rows = metrics[(metrics["evaluation_type"] == "prospective") & (metrics["partner_id"] == ALL)]
    rows = rows.sort_values(["data_cutoff", "ftd_month", "scored_at_cutoff"], kind="mergesort")
    return rows.drop_duplicates(["data_cutoff", "ftd_month"], keep="first")


def cutoff_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per data cutoff: the serving version and the decision, its retrospective AUC,
    the prospective AUC of the cohort that matured, the estimate made for that cohort when it
    was scored and the realised AUC, the largest PSI and the alerts."""
    scores, registry = frames["scores"], frames["registry"]
    metrics, drift = frames["metrics"], frames["drift"]
    if not len(scores):
        return pd.DataFrame()
    last_scores = scores.sort_values("n_scored").drop_duplicates("data_cutoff", keep="last")
    served = last_scores.set_index("data_cutoff")["model_version"]
    by_version = registry.set_index("model_version") if len(registry) else pd.DataFrame()
    estimates = first_estimates(frames["estimates"])
    cohorts = decision_point_cohorts(metrics)
    rows = []
    for cutoff in sorted(served.index):
        version = served[cutoff]
        entry = by_version.loc[version] if version in by_version.index else None
        decision = (
            registry[pd.to_datetime(registry["data_cutoff"]) == pd.Timestamp(cutoff)]
            if len(registry)
            else pd.DataFrame()
        )
        prospective = (
            cohorts[pd.to_datetime(cohorts["data_cutoff"]) == pd.Timestamp(cutoff)]
            if len(cohorts)
            else pd.DataFrame()
        )
        cohort = prospective.iloc[0] if len(prospective) else None
        estimate = None
        if cohort is not None and len(estimates):
            match = estimates[
                pd.to_datetime(estimates["ftd_month"]) == pd.Timestamp(cohort["ftd_month"])
            ]
            estimate = match.iloc[0] if len(match) else None
        here = (
            drift[pd.to_datetime(drift["data_cutoff"]) == pd.Timestamp(cutoff)]
            if len(drift)
            else pd.DataFrame()
        )
        psi = judged_psi(here)
        top = psi.sort_values("value").iloc[-1] if len(psi) else None
        alerts = []
        if len(here):
            alerts += [
                f"PSI {row.partner_id}.{row.subject}"
                for row in here[(here["metric"] == "feature_psi") & here["is_alert"]].itertuples()
            ]
            alerts += [
                f"quarantine {row.partner_id}.{row.subject}"
                for row in here[
                    (here["metric"] == "quarantine_share") & here["is_alert"]
                ].itertuples()
            ]
        if len(prospective):
            flagged = metrics[
                (pd.to_datetime(metrics["data_cutoff"]) == pd.Timestamp(cutoff))
                & (metrics["evaluation_type"] == "prospective")
            ]
            alerts += [
                f"AUC {row.partner_id}"
                for row in flagged[flagged["is_auc_below_retrospective"]].itertuples()
            ]
            alerts += [
                f"calibration {row.partner_id}"
                for row in flagged[flagged["is_calibration_off"]].itertuples()
            ]
        rows.append(
            {
                "cutoff": pd.Timestamp(cutoff).strftime("%Y-%m"),
                "serving": _short(version),
                "decision": ("promoted" if bool(decision["is_promoted"].iloc[-1]) else "kept")
                if len(decision)
                else "",
                "retrospective AUC": _interval(
                    entry["roc_auc"], entry["roc_auc_lower"], entry["roc_auc_upper"]
                )
                if entry is not None
                else "",
                "matured cohort": pd.Timestamp(cohort["ftd_month"]).strftime("%Y-%m")
                if cohort is not None
                else "",
                "prospective AUC": _interval(
                    cohort["roc_auc"], cohort["roc_auc_lower"], cohort["roc_auc_upper"]
                )
                if cohort is not None
                else "",
                "expected for its size": _range(
                    cohort["retrospective_cohort_roc_auc_lower"],
                    cohort["retrospective_cohort_roc_auc_upper"],
                )
                if cohort is not None
                else "",
                "estimated AUC": f"{estimate['estimated_roc_auc']:.3f} "
                f"(sd {estimate['estimated_roc_auc_sd']:.3f})"
                if estimate is not None
                else "",
                "realised AUC": f"{estimate['realised_roc_auc']:.3f}"
                if estimate is not None and pd.notna(estimate["realised_roc_auc"])
                else "",
                "max PSI": f"{top['value']:.3f} ({top['partner_id']}.{top['subject']}, "
                f"n={int(top['n_current'])})"
                if top is not None
                else "",
                "alerts": "; ".join(alerts) or "none",
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Target:
    """One of the issue's targets: what was measured and whether it holds."""

    name: str
    measured: str
    holds: bool | None


def targets(frames: dict[str, pd.DataFrame], shift_month: str | None) -> list[Target]:
    """The drift, estimation and stability targets of the replay."""
    out = []
    drift = frames["drift"]
    shift = pd.Timestamp(f"{shift_month}-01") if shift_month else None
    if shift is not None and len(drift):
        flagged = drift[(drift["metric"] == "feature_psi") & drift["is_alert"]]
        alert_cutoffs = sorted(pd.to_datetime(flagged["data_cutoff"]).unique())
        before = [c for c in alert_cutoffs if c < shift]
        after = [c for c in alert_cutoffs if c >= shift]
        cutoffs = sorted(pd.to_datetime(drift["data_cutoff"]).unique())
        position = sum(1 for c in cutoffs if shift <= c <= after[0]) if after else None
        out.append(
            Target(
                "drift warning at the 1st or 2nd cutoff from the shift, none before",
                f"shift {shift_month}; PSI alerts before: "
                f"{', '.join(c.strftime('%Y-%m') for c in before) or 'none'}; "
                "first from the shift: "
                f"{after[0].strftime('%Y-%m') + f' (cutoff {position})' if after else 'none'}",
                not before and position is not None and position <= 2,
            )
        )
    estimates = frames["estimates"]
    if len(estimates):
        groups = [
            ("every scoring cutoff", estimates[estimates["partner_id"] == ALL]),
            ("at the decision point", first_estimates(estimates)),
        ]
        if shift is not None:
            first = groups[1][1]
            groups.append(
                (
                    "at the decision point, cohorts before the shift",
                    first[pd.to_datetime(first["ftd_month"]) < shift],
                )
            )
        for label, rows in groups:
            out.append(_estimate_target(label, rows))
    metrics = frames["metrics"]
    if len(metrics):
        prospective = decision_point_cohorts(metrics)
        prospective = prospective[prospective["retrospective_roc_auc_lower"].notna()]
        if shift is not None:
            prospective = prospective[pd.to_datetime(prospective["ftd_month"]) < shift]
        inside = prospective["roc_auc"].between(
            prospective["retrospective_cohort_roc_auc_lower"],
            prospective["retrospective_cohort_roc_auc_upper"],
        )
        pooled = prospective["roc_auc"].between(
            prospective["retrospective_roc_auc_lower"], prospective["retrospective_roc_auc_upper"]
        )
        out.append(
            Target(
                "stable months: prospective AUC inside the champion's retrospective interval "
                "(95%, for a cohort of its size)",
                f"{int(inside.sum())} of {len(prospective)} matured cohorts inside (a 95% range: "
                f"{0.05 * len(prospective):.1f} expected outside by chance); inside the pooled "
                f"test interval, which is for all test cohorts together: {int(pooled.sum())} of "
                f"{len(prospective)}; mean prospective - retrospective AUC "
                f"{(prospective['roc_auc'] - prospective['retrospective_roc_auc']).mean():+.3f}"
                if len(prospective)
                else "no matured cohort yet",
                bool(inside.all()) if len(prospective) else None,
            )
        )
    return out


def _estimate_target(label: str, rows: pd.DataFrame) -> Target:
    """The CBPE target on `rows`, with the sampling sd of the realised AUC beside it and the
    share an exact estimate would reach at these cohort sizes."""
    rows = rows[rows["is_realised"] & rows["roc_auc_error"].notna()]
    name = f"estimated AUC within {CBPE_TOLERANCE} of realised for >= 90% of cohorts ({label})"
    if not len(rows):
        return Target(name, "no realised rows", None)
    share = float((rows["roc_auc_error"].abs() <= CBPE_TOLERANCE).mean())
    sd = rows["estimated_roc_auc_sd"]
    attainable = share_within_by_chance(sd.to_numpy(), CBPE_TOLERANCE)
    return Target(
        name,
        f"{share:.0%} of {len(rows)} cohort estimates (median {rows['n_players'].median():.0f} "
        f"players); mean |error| {rows['roc_auc_error'].abs().mean():.3f}, mean error "
        f"{rows['roc_auc_error'].mean():+.3f}; sampling sd of the realised AUC: mean "
        f"{sd.mean():.3f}, so an exact estimate is within {CBPE_TOLERANCE} for {attainable:.0%}",
        share >= 0.9,
    )


def print_report(database: Path | str, shift_month: str | None = None) -> None:
    """Prints the per-cutoff table and the targets."""
    frames = load(database)
    table = cutoff_table(frames)
    if len(table):
        print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))
    for target in targets(frames, shift_month):
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[target.holds]
        print(f"- {verdict}: {target.name}: {target.measured}")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
