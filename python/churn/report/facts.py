"""Named numbers for the reports' and docs' text, each read from an analysis result.

A fact group is a function of the frames of the analyses it names; `compute_facts` runs every group
whose analyses returned rows and records why the others could not run. Text templates then use the
names (`{n_players:,}`), so no number in the prose is typed by hand.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from churn.report.queries import QueryResult

Frames = Mapping[str, pd.DataFrame]
FactGroup = tuple[tuple[str, ...], Callable[[Frames], dict[str, Any]]]
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
GROUPS: list[FactGroup] = []


def facts_from(*analyses: str) -> Callable:
    """Registers a fact group computed from the named analyses."""

    def register(function: Callable[[Frames], dict[str, Any]]) -> Callable:
        GROUPS.append((analyses, function))
        return function

    return register


@dataclass
class Facts:
    """Values by name, and why the analyses behind the missing ones did not run."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        """The template with its fields filled; a note in place of it when a value is missing or
        could not be computed on this export (a NaN never reaches the text as `nan%`)."""
        try:
            undefined = [
                name
                for _, name, _, _ in string.Formatter().parse(template)
                if name and _is_nan(self.values.get(name))
            ]
            if undefined:
                return (
                    f"(not available: {', '.join(undefined)} cannot be computed on this "
                    "export: too few players or cohorts)"
                )
            return string.Formatter().vformat(template, (), self.values)
        except KeyError as missing:
            reason = "; ".join(f"{name}: {error}" for name, error in sorted(self.errors.items()))
            if not reason:
                return f"(not available: {missing.args[0]})"
            return f"(not available: {missing.args[0]} needs analyses that did not run: {reason})"


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def compute_facts(results: Mapping[str, QueryResult], groups: list[FactGroup] = GROUPS) -> Facts:
    """Every fact group whose analyses returned rows. A group that fails on an unusual export
    (an empty slice, a single cohort) is recorded with its reason, not raised."""
    facts = Facts()
    for analyses, function in groups:
        frames = {name: results[name].rows for name in analyses if name in results}
        failed = {
            name: (results[name].error or "no rows") if name in results else "not run"
            for name in analyses
            if frames.get(name) is None
        }
        if failed:
            facts.errors.update(failed)
            continue
        try:
            facts.values.update(
                function({name: frame for name, frame in frames.items() if frame is not None})
            )
        except (KeyError, IndexError, ValueError, ZeroDivisionError, TypeError) as error:
            facts.errors[function.__name__.strip("_")] = (
                f"could not be computed on this export ({type(error).__name__}: {error})"
            )
    return facts


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def _float(value: Any) -> float:
    """One cell of a frame as a float (the stubs type a cell as any scalar, dates included)."""
    return float(value)


def _int(value: Any) -> int:
    return int(round(float(value)))


# --- exploration -----------------------------------------------------------------------------


@facts_from("eda_overview")
def _overview(frames: Frames) -> dict[str, Any]:
    row = frames["eda_overview"].iloc[0]
    start, end = pd.Timestamp(row["data_start_month"]), pd.Timestamp(row["export_month"])
    n_players = _int(row["n_players"])
    return {
        "data_start": _month(start),
        "export_month": _month(end),
        "window_months": (end.year - start.year) * 12 + end.month - start.month + 1,
        "k": _int(row["churn_inactive_months"]),
        "n_raw_rows": _int(row["n_raw_rows"]),
        "n_clean_rows": _int(row["n_clean_rows"]),
        "n_quarantined_rows": _int(row["n_quarantined_rows"]),
        "share_quarantined": row["n_quarantined_rows"] / row["n_raw_rows"],
        "n_players": n_players,
        "n_partners": _int(row["n_partners"]),
        "n_states": _int(row["n_states"]),
        "n_partitions": _int(row["n_partitions"]),
        "n_left_truncated": _int(row["n_left_truncated"]),
        "share_left_truncated": row["n_left_truncated"] / n_players,
        "n_churned": _int(row["n_churned"]),
        "share_churned": row["n_churned"] / n_players,
        "n_censored": _int(row["n_censored"]),
        "share_censored": row["n_censored"] / n_players,
        "n_reactivated": _int(row["n_reactivated"]),
        "share_reactivated_of_churned": row["n_reactivated"] / max(row["n_churned"], 1),
        "n_never_bet": _int(row["n_never_bet"]),
        "share_never_bet": row["n_never_bet"] / n_players,
        "n_panel_months": _int(row["n_panel_months"]),
        "n_active_months": _int(row["n_active_months"]),
        "share_panel_active": row["n_active_months"] / row["n_panel_months"],
        "share_negative_ngr_months": float(row["share_negative_ngr_months"]),
        "total_ngr_musd": row["total_ngr"] / 1e6,
        "total_handle_musd": row["total_handle"] / 1e6,
        "total_deposit_musd": row["total_deposit"] / 1e6,
    }


@facts_from("eda_state_volumes")
def _partitions(frames: Frames) -> dict[str, Any]:
    data = frames["eda_state_volumes"].sort_values(["n_players", "partner_id", "geo"])
    partners = data.groupby("partner_id")["n_players"].sum().sort_values(ascending=False)
    largest, smallest = data.iloc[-1], data.iloc[0]
    late = data[pd.to_datetime(data["first_ftd_month"]) > pd.to_datetime(data["launch_month"])]
    return {
        "largest_partition": f"{largest['partner_id']} x {largest['geo']}",
        "largest_partition_players": _int(largest["n_players"]),
        "smallest_partition": f"{smallest['partner_id']} x {smallest['geo']}",
        "smallest_partition_players": _int(smallest["n_players"]),
        "median_partition_players": _int(data["n_players"].median()),
        "n_partitions_under_500": int((data["n_players"] < 500).sum()),
        "largest_partner": str(partners.index[0]),
        "largest_partner_share": partners.iloc[0] / partners.sum(),
        "smallest_partner": str(partners.index[-1]),
        "smallest_partner_share": partners.iloc[-1] / partners.sum(),
        "n_partitions_late_entry": len(late),
        "n_partitions_left_truncated": int((data["n_left_truncated"] > 0).sum()),
    }


@facts_from("eda_monthly_volumes")
def _monthly(frames: Frames) -> dict[str, Any]:
    data = frames["eda_monthly_volumes"]
    monthly = data.groupby("activity_month")[["n_active_players", "n_ftds"]].sum().sort_index()
    peak_active = monthly["n_active_players"].idxmax()
    return {
        "active_first_year_mean": _int(monthly["n_active_players"].head(12).mean()),
        "active_last_year_mean": _int(monthly["n_active_players"].tail(12).mean()),
        "ftds_first_year_mean": _int(monthly["n_ftds"].head(12).mean()),
        "ftds_last_year_mean": _int(monthly["n_ftds"].tail(12).mean()),
        "peak_active_month": _month(peak_active),
        "peak_active_players": _int(monthly["n_active_players"].max()),
        "peak_ftd_month": _month(monthly["n_ftds"].idxmax()),
        "peak_ftds": _int(monthly["n_ftds"].max()),
    }


@facts_from("eda_ftd_cohorts")
def _cohorts(frames: Frames) -> dict[str, Any]:
    data = frames["eda_ftd_cohorts"]
    out: dict[str, Any] = {"n_cohorts": int(data["ftd_month"].nunique())}
    for month in (1, 2, 3, 6, 12, 24):
        rows = data[data["months_active"] == month]
        out[f"retention_{month}"] = rows["n_active"].sum() / max(rows["cohort_size"].sum(), 1)
    return out


@facts_from("eda_months_active_distribution")
def _active_months(frames: Frames) -> dict[str, Any]:
    data = frames["eda_months_active_distribution"].sort_values("n_months")
    counts = data.set_index("n_months")["n_players_by_active_months"]
    total = counts.sum()
    cumulative = counts.cumsum() / total
    return {
        "share_one_active_month": counts.get(1, 0) / total,
        "share_under_4_active_months": counts[counts.index <= 3].sum() / total,
        "median_active_months": int(cumulative[cumulative >= 0.5].index[0]),
        "share_censored_at_t1": data.loc[data["n_months"] == 1, "n_censored_at_t"].sum()
        / max(data["n_censored_at_t"].sum(), 1),
    }


@facts_from("eda_activity_gaps", "eda_overview")
def _gaps(frames: Frames) -> dict[str, Any]:
    data = frames["eda_activity_gaps"]
    k = _int(frames["eda_overview"]["churn_inactive_months"].iloc[0])
    closed = data["n_closed_gaps"].sum()
    churn_gaps = data.loc[data["is_churn_length"].astype(bool), "n_closed_gaps"].sum()
    near_miss = data.loc[data["gap_months"] == k - 1, "n_closed_gaps"].sum()
    return {
        "n_closed_gaps": _int(closed),
        "share_closed_gaps_one_month": data.loc[data["gap_months"] == 1, "n_closed_gaps"].sum()
        / max(closed, 1),
        "n_reactivation_gaps": _int(churn_gaps),
        "share_closed_gaps_churn_length": churn_gaps / max(closed, 1),
        "n_gaps_k_minus_1": _int(near_miss),
        "n_gaps_k": _int(data.loc[data["gap_months"] == k, "n_closed_gaps"].sum()),
        "n_open_gaps_lapsing": _int(
            data.loc[~data["is_churn_length"].astype(bool), "n_open_gaps"].sum()
        ),
    }


@facts_from("eda_seasonality")
def _seasonality(frames: Frames) -> dict[str, Any]:
    data = frames["eda_seasonality"].set_index("calendar_month")
    rate = data["active_rate"]
    reactivated = data["share_churn_starts_reactivated"]
    return {
        "low_activity_month": MONTH_NAMES[int(rate.idxmin()) - 1],
        "low_activity_rate": rate.min(),
        "high_activity_month": MONTH_NAMES[int(rate.idxmax()) - 1],
        "high_activity_rate": rate.max(),
        "high_reactivation_month": MONTH_NAMES[int(reactivated.idxmax()) - 1],
        "high_reactivation_share": reactivated.max(),
        "low_reactivation_month": MONTH_NAMES[int(reactivated.idxmin()) - 1],
        "low_reactivation_share": reactivated.min(),
        "peak_ftd_calendar_month": MONTH_NAMES[int(data["n_ftds"].idxmax()) - 1],
        "low_ftd_calendar_month": MONTH_NAMES[int(data["n_ftds"].idxmin()) - 1],
        "ftd_peak_to_low_ratio": data["n_ftds"].max() / max(data["n_ftds"].min(), 1),
    }


@facts_from("eda_money_distributions")
def _money(frames: Frames) -> dict[str, Any]:
    data = frames["eda_money_distributions"].set_index("measure")
    out: dict[str, Any] = {}
    for measure in ("deposit", "handle", "ngr"):
        if measure not in data.index:
            continue
        row = data.loc[measure]
        for column in (
            "p01",
            "p50",
            "p90",
            "p99",
            "p999",
            "max_amount",
            "mean_amount",
            "min_amount",
        ):
            out[f"{measure}_{column}"] = float(row[column])
        out[f"{measure}_share_zero"] = row["n_zero"] / row["n_months"]
        out[f"{measure}_n_negative"] = _int(row["n_negative"])
        out[f"{measure}_mean_to_median"] = row["mean_amount"] / row["p50"] if row["p50"] else 0.0
    if "ngr" in data.index:
        out["ngr_p01_loss"] = -_float(data.loc["ngr", "p01"])
        out["ngr_min_loss"] = -_float(data.loc["ngr", "min_amount"])
    return out


@facts_from("eda_money_concentration")
def _whales(frames: Frames) -> dict[str, Any]:
    data = frames["eda_money_concentration"].set_index("measure")
    out: dict[str, Any] = {}
    for measure in data.index:
        row = data.loc[measure]
        out[f"{measure}_top_1pct"] = float(row["share_top_1pct"])
        out[f"{measure}_top_10pct"] = float(row["share_top_10pct"])
        out[f"{measure}_share_players_negative"] = float(row["share_players_negative"])
    return out


@facts_from("eda_negative_ngr")
def _negative_ngr(frames: Frames) -> dict[str, Any]:
    data = frames["eda_negative_ngr"].set_index("product")
    return {
        "negative_ngr_months_min": data["share_negative_months"].min(),
        "negative_ngr_months_max": data["share_negative_months"].max(),
        "negative_ngr_ftd_months_max": data["share_negative_ftd_months"].max(),
        "negative_ngr_ftd_months_max_product": str(data["share_negative_ftd_months"].idxmax()),
    }


@facts_from("eda_lags")
def _lags(frames: Frames) -> dict[str, Any]:
    data = frames["eda_lags"]

    def share(lag_type: str, buckets: list[str]) -> float:
        rows = data[(data["lag_type"] == lag_type) & data["bucket"].isin(buckets)]
        return float(rows["share_players"].sum())

    def count(lag_type: str, bucket: str) -> int:
        rows = data[(data["lag_type"] == lag_type) & (data["bucket"] == bucket)]
        return _int(rows["n_players"].sum())

    long = ["31-90 days", "91-365 days", "over a year"]
    return {
        "reg_to_ftd_same_day": share("reg_to_ftd", ["same day"]),
        "reg_to_ftd_over_30": share("reg_to_ftd", long),
        "reg_to_ftd_negative": count("reg_to_ftd", "negative"),
        "first_bet_same_day": share("ftd_to_first_bet", ["same day"]),
        "first_bet_within_week": share("ftd_to_first_bet", ["same day", "1-3 days", "4-7 days"]),
        "first_bet_never": share("ftd_to_first_bet", ["no first bet"]),
        "first_bet_negative": count("ftd_to_first_bet", "negative"),
    }


@facts_from("eda_product_channel_mix")
def _mix(frames: Frames) -> dict[str, Any]:
    data = frames["eda_product_channel_mix"]
    products = data.groupby("product")["n_players"].sum().sort_values(ascending=False)
    channels = data.groupby("ben_login_id")["n_players"].sum().sort_values(ascending=False)
    churned_sums = (
        data.assign(n_churned=data["share_churned"] * data["n_players"])
        .groupby("product")[["n_churned", "n_players"]]
        .sum()
    )
    churned = (churned_sums["n_churned"] / churned_sums["n_players"]).sort_values()
    return {
        "top_product": str(products.index[0]),
        "top_product_share": products.iloc[0] / products.sum(),
        "product_mix": ", ".join(f"{p} {n / products.sum():.0%}" for p, n in products.items()),
        "top_channel": str(channels.index[0]),
        "top_channel_share": channels.iloc[0] / channels.sum(),
        "n_channels": len(channels),
        "least_churned_product": str(churned.index[0]),
        "least_churned_share": churned.iloc[0],
        "most_churned_product": str(churned.index[-1]),
        "most_churned_share": churned.iloc[-1],
    }


@facts_from("eda_data_problems")
def _problems(frames: Frames) -> dict[str, Any]:
    data = frames["eda_data_problems"]
    out: dict[str, Any] = {}
    for row in data.itertuples(index=False):
        out[f"problem_{row.problem}_rows"] = _int(row.n_rows)
        out[f"problem_{row.problem}_accounts"] = _int(row.n_accounts)
    by_action = data.groupby("action")["n_rows"].sum()
    for action, rows in by_action.items():
        out[f"problem_rows_{action}"] = _int(rows)
    quarantine = data[data["action"] == "quarantine"].sort_values("n_rows", ascending=False)
    if len(quarantine):
        out["top_quarantine_reason"] = str(quarantine["problem"].iloc[0])
        out["top_quarantine_rows"] = _int(quarantine["n_rows"].iloc[0])
    return out


@facts_from("eda_censoring")
def _censoring(frames: Frames) -> dict[str, Any]:
    data = frames["eda_censoring"]
    total = data["n_players"].sum()
    active = data[data["outcome"].str.contains("active in the export")]["n_players"].sum()
    lapsing = data[data["outcome"].str.contains("lapsing")]["n_players"].sum()
    churned = data[data["outcome"] == "churned"]
    censored = data[data["outcome"] != "churned"]
    return {
        "mean_followup_censored": float(
            (censored["mean_followup_months"] * censored["n_players"]).sum()
            / max(censored["n_players"].sum(), 1)
        ),
        "share_censored_active": active / total,
        "share_censored_lapsing": lapsing / total,
        "mean_followup_churned": float(
            (churned["mean_followup_months"] * churned["n_players"]).sum()
            / max(churned["n_players"].sum(), 1)
        ),
    }


# --- models ----------------------------------------------------------------------------------


@facts_from("models_survival_summary")
def _survival_summary(frames: Frames) -> dict[str, Any]:
    data = frames["models_survival_summary"].set_index("curve")
    out: dict[str, Any] = {}
    if "all partners" in data.index:
        row = data.loc["all partners"]
        out.update(
            s12=float(row["survival_12"]),
            s24=float(row["survival_24"]),
            s60=float(row["survival_60"]),
            rmst12=float(row["restricted_mean_months_12"]),
            rmst60=float(row["restricted_mean_months_60"]),
            all_last_observed_month=_int(row["last_observed_month"]),
        )
    partners = data.drop(index="all partners", errors="ignore")
    if len(partners):
        out.update(
            n_partner_curves=len(partners),
            best_partner=str(partners["survival_12"].idxmax()),
            best_partner_s12=float(partners["survival_12"].max()),
            worst_partner=str(partners["survival_12"].idxmin()),
            worst_partner_s12=float(partners["survival_12"].min()),
        )
    return out


@facts_from("models_survival_by_product")
def _survival_products(frames: Frames) -> dict[str, Any]:
    data = frames["models_survival_by_product"]
    products_at12 = data[(data["month_number"] == 12) & (data["curve"] != "all players")]
    at12 = products_at12.set_index("curve")["survival"].sort_values()
    at1 = data[(data["month_number"] == 1)].set_index("curve")["survival"]
    return {
        "best_product": str(at12.index[-1]),
        "best_product_s12": float(at12.iloc[-1]),
        "worst_product": str(at12.index[0]),
        "worst_product_s12": float(at12.iloc[0]),
        "s1": float(at1.get("all players", float("nan"))),
    }


@facts_from("models_survival_by_state")
def _survival_states(frames: Frames) -> dict[str, Any]:
    data = frames["models_survival_by_state"]
    observed = data[~data["is_extrapolated"].astype(bool)].groupby("geo")["month_number"].max()
    extrapolated = observed[observed < 60].sort_values()
    return {
        "states_partner": str(data["partner_id"].iloc[0]),
        "n_states_shown": int(data["geo"].nunique()),
        "n_states_extrapolated": len(extrapolated),
        "shortest_state": str(extrapolated.index[0]) if len(extrapolated) else "none",
        "shortest_state_months": _int(extrapolated.iloc[0]) if len(extrapolated) else 60,
    }


@facts_from("models_hazard")
def _hazard(frames: Frames) -> dict[str, Any]:
    data = frames["models_hazard"]
    overall = data[data["curve"] == "all partners"].set_index("month_number")["hazard"]
    out: dict[str, Any] = {
        f"hazard_{m}": float(overall.get(m, float("nan"))) for m in (1, 2, 3, 6, 12, 24)
    }
    falls = out["hazard_12"] < out["hazard_1"] and out["hazard_24"] <= out["hazard_12"]
    out["hazard_verdict"] = (
        "The hazard falls with tenure, so a constant-churn (geometric) model is wrong; the tail "
        "candidates are mixtures and distributions with a falling hazard."
        if falls
        else "The hazard does not fall steadily with tenure here; the tail candidates still "
        "include models with a flat or rising hazard."
    )
    return out


@facts_from("models_tail_fits")
def _tails(frames: Frames) -> dict[str, Any]:
    data = frames["models_tail_fits"]
    partitions = data[data["pooling_level"] == "partition"]
    chosen = partitions[partitions["n_chosen"] > 0].sort_values("n_chosen", ascending=False)
    candidates = partitions[partitions["model"] != "parent"]
    parent = partitions.loc[partitions["model"] == "parent", "n_groups"].sum()
    return {
        "partition_tail_choice": ", ".join(
            f"{m} {int(n)}" for m, n in zip(chosen["model"], chosen["n_chosen"], strict=True)
        ),
        "n_partition_parent_tail": _int(parent),
        "partition_backtest_mae_min": float(candidates["median_backtest_mae"].min()),
        "partition_backtest_mae_max": float(candidates["median_backtest_mae"].max()),
    }


@facts_from("models_survival_backtest_error")
def _backtest(frames: Frames) -> dict[str, Any]:
    data = frames["models_survival_backtest_error"]
    out: dict[str, Any] = {
        "backtest_cutoffs": " and ".join(
            str(int(c)) for c in sorted(data["cutoff_offset_months"].unique())
        )
    }
    for level, part in data.groupby("pooling_level"):
        weights = part["n_groups"]
        out[f"backtest_{level}_mae"] = float(
            (part["mean_absolute_error"] * weights).sum() / max(weights.sum(), 1)
        )
        out[f"backtest_{level}_mae_points"] = 100 * out[f"backtest_{level}_mae"]
        out[f"backtest_{level}_max"] = float(part["max_absolute_error"].max())
        out[f"backtest_{level}_bias"] = float(
            (part["mean_error"] * weights).sum() / max(weights.sum(), 1)
        )
        at12 = part[part["horizon_months"] == 12]
        if len(at12):
            out[f"backtest_{level}_mae_12"] = float(
                (at12["mean_absolute_error"] * at12["n_groups"]).sum() / at12["n_groups"].sum()
            )
    return out


@facts_from("models_pooled_vs_raw")
def _pooling(frames: Frames) -> dict[str, Any]:
    data = frames["models_pooled_vs_raw"].set_index("month_number")
    first = data.iloc[0]
    month = 12 if 12 in data.index else int(data.index.max())
    row = data.loc[month]
    return {
        "pooled_partition": f"{first['partner_id']} x {first['geo']}",
        "pooled_partition_players": _int(first["n_players"]),
        "pooled_partition_weight": float(first["mean_pooling_weight_first_year"]),
        "pooled_month": month,
        "pooled_s": float(row["pooled_survival"]),
        "raw_s": float(row["raw_survival"]),
        "pooled_band_width": float(row["pooled_upper"] - row["pooled_lower"]),
        "raw_band_width": float(row["raw_upper"] - row["raw_lower"]),
    }


@facts_from("models_classifier_candidates")
def _candidates(frames: Frames) -> dict[str, Any]:
    data = frames["models_classifier_candidates"].set_index("model_name")
    default = data[data["is_default"].astype(bool)]
    out: dict[str, Any] = {"n_candidates": len(data)}
    if len(default):
        row = default.iloc[0]
        out.update(
            default_model=str(default.index[0]),
            model_version=str(row["model_version"]),
            test_players=_int(row["n_players"]),
            test_base_rate=float(row["base_rate"]),
            test_auc=float(row["roc_auc"]),
            test_auc_lower=float(row["roc_auc_lower"]),
            test_auc_upper=float(row["roc_auc_upper"]),
            test_pr_auc=float(row["pr_auc"]),
            test_brier=float(row["brier_score"]),
            test_log_loss=float(row["log_loss"]),
            test_ece=float(row["expected_calibration_error"]),
            test_calibration_slope=float(row["calibration_slope"]),
            test_top_decile_lift=float(row["top_decile_lift"]),
            test_top_decile_capture=float(row["top_decile_capture"]),
            test_mean_probability=float(row["mean_probability"]),
        )
    if "boosted_global" in data.index:
        row = data.loc[["boosted_global"]].iloc[0]
        out.update(
            boosted_auc=float(row["roc_auc"]),
            boosted_gain=float(row["roc_auc_gain_vs_logistic"]),
            boosted_gain_lower=float(row["roc_auc_gain_vs_logistic_lower"]),
            boosted_gain_upper=float(row["roc_auc_gain_vs_logistic_upper"]),
            boosted_verdict=(
                "its interval is above zero, so the boosted model is worth its complexity"
                if row["roc_auc_gain_vs_logistic_lower"] > 0
                else "its interval includes zero, so the logistic baseline keeps the job"
            ),
        )
    finer = data[data["grain"].isin(["partner", "partition"])]
    if len(finer):
        best = finer["roc_auc_gain_vs_global"].idxmax()
        out.update(
            best_finer_model=str(best),
            best_finer_gain=_float(finer.loc[best, "roc_auc_gain_vs_global"]),
            best_finer_gain_lower=_float(finer.loc[best, "roc_auc_gain_vs_global_lower"]),
            best_finer_gain_upper=_float(finer.loc[best, "roc_auc_gain_vs_global_upper"]),
            max_submodels=_int(finer["n_submodels"].max()),
            finer_verdict=(
                "its interval is above zero, so a finer grain earns its own models"
                if _float(finer.loc[best, "roc_auc_gain_vs_global_lower"]) > 0
                else "its interval is not above zero, so one global model, with the partition as "
                "a feature, is enough"
            ),
        )
    return out


@facts_from("models_classifier_splits")
def _splits(frames: Frames) -> dict[str, Any]:
    data = frames["models_classifier_splits"].set_index("data_split")
    out: dict[str, Any] = {"h": _int(data["quick_churn_months"].max())}
    for split in data.index:
        row = data.loc[split]
        out[f"{split}_players"] = _int(row["n_players"])
        out[f"{split}_first_cohort"] = _month(row["first_ftd_month"])
        out[f"{split}_last_cohort"] = _month(row["last_ftd_month"])
        out[f"{split}_auc"] = float(row["roc_auc"])
        out[f"{split}_base_rate"] = float(row["base_rate"])
    return out


@facts_from("models_classifier_lift")
def _lift(frames: Frames) -> dict[str, Any]:
    data = frames["models_classifier_lift"].set_index("decile").sort_index()
    return {
        "top_decile_rate": float(data["quick_churn_rate"].iloc[0]),
        "bottom_decile_rate": float(data["quick_churn_rate"].iloc[-1]),
        "top_decile_min_probability": float(data["min_probability"].iloc[0]),
        "capture_top_3_deciles": float(data["cumulative_capture"].iloc[min(2, len(data) - 1)]),
    }


@facts_from("models_classifier_calibration")
def _calibration(frames: Frames) -> dict[str, Any]:
    data = frames["models_classifier_calibration"]
    big = data[data["n_players"] >= 100]
    gap = (big["observed_rate"] - big["mean_probability"]).abs()
    if not len(gap):
        return {
            "calibration_gap_sentence": "no probability bin holds 100 players or more, too "
            "few to read a bin's gap"
        }
    return {
        "max_calibration_gap": float(gap.max()),
        "calibration_gap_sentence": "no probability bin with 100 players or more is off by more "
        f"than {gap.max():.1%} (absolute)",
    }


@facts_from("models_score_distribution")
def _scores(frames: Frames) -> dict[str, Any]:
    data = frames["models_score_distribution"].sort_values("p50")
    return {
        "n_scored_partitions": len(data),
        "n_unlabelled": _int(data["n_unlabelled"].sum()),
        "lowest_median_partition": f"{data['partner_id'].iloc[0]} x {data['geo'].iloc[0]}",
        "lowest_median_score": float(data["p50"].iloc[0]),
        "highest_median_partition": f"{data['partner_id'].iloc[-1]} x {data['geo'].iloc[-1]}",
        "highest_median_score": float(data["p50"].iloc[-1]),
        "served_by": ", ".join(sorted(str(s).split("=")[0] for s in data["served_by"].unique())),
    }


@facts_from("production_outputs")
def _outputs(frames: Frames) -> dict[str, Any]:
    data = frames["production_outputs"].set_index("output")
    return {f"rows_{name}": _int(row["n_rows"]) for name, row in data.iterrows()}


@facts_from("production_partition_sizes")
def _partition_sizes(frames: Frames) -> dict[str, Any]:
    data = frames["production_partition_sizes"].set_index("size_band")
    out: dict[str, Any] = {}
    for band, row in data.iterrows():
        key = str(band).split(" ")[0].replace("-", "_").replace("+", "_plus")
        out[f"partitions_{key}"] = _int(row["n_partitions"])
        out[f"pooling_weight_{key}"] = float(row["mean_pooling_weight_first_year"])
        out[f"own_classifier_{key}"] = _int(row["n_with_own_classifier"])
    return out
