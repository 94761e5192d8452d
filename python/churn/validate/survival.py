"""`python -m churn.validate survival`: simulate fresh data, build the warehouse on it, and compare
the survival curves with the simulator's truth, against the targets of the survival issue.

Two truths per partition:
- realised: the share of the partition's simulated players with T > m (the population at hand);
- expected: what the partition's curve is in expectation given its players' covariates,
  mean over its players of sum_k P(type k | covariates) S_k,season(m), with S_k,season the
  survival of all simulated players of type k and FTD quarter. Sampling error of a small
  partition shows against this one, so pooling is judged against it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from churn.validate.common import (
    add_simulation_arguments,
    print_targets,
    simulate_into_workdir,
)
from churn.warehouse import run_dbt

MAX_MONTH = 60
SIZE_BANDS = [(100, 300, "100-300"), (300, 2000, "300-2000"), (2000, 10**9, "2000+")]
TARGETS = {
    "observed_mae_2000_plus": 0.01,
    "month_60_error": 0.03,
    "pooled_to_raw_ratio_100_300": 0.7,
    "coverage_low": 0.90,
    "coverage_high": 0.98,
}


def expected_curves(
    players: pd.DataFrame, end_month: str, max_month: int = MAX_MONTH
) -> pd.DataFrame:
    """Expected S(m) per partition from type probabilities and type x FTD-quarter survival."""
    players = players[players["ftd_month"] <= pd.Timestamp(end_month)].copy()
    type_columns = [c for c in players.columns if c.startswith("p_type_")]
    types = [c.removeprefix("p_type_") for c in type_columns]
    players["quarter"] = pd.DatetimeIndex(players["ftd_month"]).quarter
    months = np.arange(max_month + 1)
    survival_by_type = {}
    for (player_type, quarter), group in players.groupby(["type", "quarter"]):
        times = group["survival_time"].to_numpy()
        survival_by_type[(player_type, quarter)] = (times[:, None] > months[None, :]).mean(axis=0)
    rows = []
    for (partner_id, geo), group in players.groupby(["partner_id", "geo"]):
        curve = np.zeros(months.size)
        for player_type, column in zip(types, type_columns, strict=True):
            for quarter, in_quarter in group.groupby("quarter"):
                weight = in_quarter[column].sum()
                if (player_type, quarter) in survival_by_type:
                    curve += weight * survival_by_type[(player_type, quarter)]
        curve /= len(group)
        rows.append(
            pd.DataFrame(
                {
                    "partner_id": partner_id,
                    "geo": geo,
                    "month_number": months,
                    "expected": curve,
                    "n_truth": len(group),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def compare(curves: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Curve rows joined with both truths and the error and band-coverage columns."""
    joined = curves.merge(truth, on=["partner_id", "geo", "month_number"])
    for name in ("expected", "realised"):
        joined[f"error_{name}"] = (joined["survival"] - joined[name]).abs()
        joined[f"raw_error_{name}"] = (joined["raw_survival"] - joined[name]).abs()
        joined[f"covered_{name}"] = joined[name].between(
            joined["survival_lower"], joined["survival_upper"]
        )
    return joined


def size_band(n_players: int) -> str:
    for low, high, label in SIZE_BANDS:
        if low <= n_players < high:
            return label
    return "<100"


def report(joined: pd.DataFrame) -> dict[str, float]:
    """Prints the figures against the targets and returns them."""
    observed = joined[~joined["is_extrapolated"] & (joined["month_number"] > 0)]
    per_partition = observed.groupby(["partner_id", "geo"]).agg(
        n_players=("n_players", "first"),
        mae=("error_expected", "mean"),
        raw_mae=("raw_error_expected", "mean"),
        mae_realised=("error_realised", "mean"),
        raw_mae_realised=("raw_error_realised", "mean"),
    )
    per_partition["band"] = per_partition["n_players"].map(size_band)
    bands = per_partition.groupby("band").agg(
        partitions=("mae", "size"),
        pooled_mae=("mae", "mean"),
        raw_km_mae=("raw_mae", "mean"),
        pooled_mae_vs_realised=("mae_realised", "mean"),
        raw_km_mae_vs_realised=("raw_mae_realised", "mean"),
    )
    print("\nObserved months, mean absolute error of S(m) per partition, by partition size")
    print("(against the expected curve; the last two columns against the realised population)")
    print(bands.round(4).to_string())

    extrapolated = joined[joined["is_extrapolated"] & joined["month_number"].isin([12, 24, 36, 60])]
    tail = extrapolated.groupby("month_number").agg(
        partitions=("error_expected", "size"),
        mean_error=("error_expected", "mean"),
        max_error=("error_expected", "max"),
        mean_error_vs_realised=("error_realised", "mean"),
    )
    print("\nExtrapolated months, absolute error of S(m) against the expected curve")
    print(tail.round(4).to_string())

    coverage = observed["covered_expected"].mean()
    small = bands.loc["100-300"] if "100-300" in bands.index else None
    large = bands.loc["2000+"] if "2000+" in bands.index else None
    figures = {
        "observed_mae_2000_plus": float(large["pooled_mae"]) if large is not None else float("nan"),
        "month_60_error": float(tail.loc[60, "mean_error"]) if 60 in tail.index else float("nan"),
        "pooled_to_raw_ratio_100_300": float(small["pooled_mae"] / small["raw_km_mae"])
        if small is not None
        else float("nan"),
        "coverage": float(coverage),
    }
    checks = [
        (
            "observed-range MAE, partitions of 2,000+ players",
            figures["observed_mae_2000_plus"],
            f"<= {TARGETS['observed_mae_2000_plus']}",
            figures["observed_mae_2000_plus"] <= TARGETS["observed_mae_2000_plus"],
        ),
        (
            "mean error at month 60 (extrapolated)",
            figures["month_60_error"],
            f"<= {TARGETS['month_60_error']}",
            figures["month_60_error"] <= TARGETS["month_60_error"],
        ),
        (
            "pooled / raw KM error, partitions of 100-300",
            figures["pooled_to_raw_ratio_100_300"],
            f"<= {TARGETS['pooled_to_raw_ratio_100_300']}",
            figures["pooled_to_raw_ratio_100_300"] <= TARGETS["pooled_to_raw_ratio_100_300"],
        ),
        (
            "95% band coverage of the expected curve",
            figures["coverage"],
            f"in [{TARGETS['coverage_low']}, {TARGETS['coverage_high']}]",
            TARGETS["coverage_low"] <= figures["coverage"] <= TARGETS["coverage_high"],
        ),
    ]
    print_targets(checks, label_width=50)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churn.validate survival", description=__doc__)
    # 36 months of data by default: the month-60 target is for data covering 36 months.
    add_simulation_arguments(
        parser, players=60_000, partners=8, states=20, start="2022-01", end="2024-12", seed=7
    )
    args = parser.parse_args(argv)
    _, result, workdir, export = simulate_into_workdir(args, "churn-validate-survival-")

    started = time.perf_counter()
    run = run_dbt(
        # cautious: leave out tests of other models that merely read these (the classifier's).
        [
            "build",
            "--select",
            "+churn_survival_curves",
            "+dq_quarantine",
            "--indirect-selection",
            "cautious",
        ],
        workdir,
        {"raw_activity_path": str(export)},
    )
    if run.returncode != 0:
        print(run.output[-3000:])
        return 1
    print(f"dbt build of the survival models: {time.perf_counter() - started:.0f} s ({workdir})")

    curves = run.frame("""
        select partner_id, geo, n_players, month_number, survival, survival_lower, survival_upper,
               raw_survival, is_extrapolated, pooling_weight
        from marts.churn_survival_curves
        where pooling_level = 'partition' and segment_type = 'all'""")
    players = result.truth["players"]
    realised = result.truth["survival_curves"]
    realised = realised[realised["level"] == "partition"].rename(
        columns={"month": "month_number", "survival": "realised"}
    )[["partner_id", "geo", "month_number", "realised"]]
    truth = expected_curves(players, f"{args.end}-01").merge(
        realised, on=["partner_id", "geo", "month_number"]
    )
    report(compare(curves, truth))
    return 0
