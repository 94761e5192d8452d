"""`python -m churn.validate survival --regime NAME | --all`: simulate each regime on two seeds,
build the warehouse on it and compare the survival curves with the simulator's truth, every
figure beside its target.

Two truths per partition:
- realised: the share of the partition's simulated players with T > m (the population at hand);
- expected: what the partition's curve is in expectation given its players' covariates,
  mean over its players of sum_k P(type k | covariates) S_k,season(m), with S_k,season the
  survival of all simulated players of type k and FTD quarter. Sampling error of a small
  partition shows against this one, so every figure is judged against it.

Figures (partitions are partner x geo curves of segment `all`):
- observed-range MAE of S(m), months 1.. up to the last observed month, for partitions of
  2,000+ players, and pooled / raw Kaplan-Meier error there (pooling must not hurt) and for
  partitions of 100-300 players;
- relative error |S_hat - S| / S at months 36 and 60 and of the restricted mean survival time
  RMST(60) = sum of S(m) over months 0..59, mean over partitions of 100+ players whose month 60
  is extrapolated;
- 95% band coverage of the expected curve over observed months, over extrapolated months, and
  by how far beyond the data the month lies (1-12, 13-24, 25-36, 37-60 months); RMST(60) band
  coverage when the summary carries RMST band columns (n/a otherwise); the number of partitions
  behind the 37-60 months figure (>= 10, else that coverage rests on a few curves).
"""

from __future__ import annotations

import argparse
import re
from typing import cast

import numpy as np
import pandas as pd

from churn.validate.common import RegimeRun, add_run_arguments, validate_regimes
from churn.validate.targets import Target

MAX_MONTH = 60
RMST_MONTHS = 60
MIN_TAIL_PLAYERS = 100
SIZE_BANDS = [(100, 300, "100-300"), (300, 2000, "300-2000"), (2000, 10**9, "2000+")]
BEYOND_BINS = [(1, 12), (13, 24), (25, 36), (37, 60)]
COVERAGE = (0.90, 0.98)
MIN_PARTITIONS = 10

TARGETS: list[Target] = [
    Target("partitions_2000_plus", "partitions of 2,000+ players", low=MIN_PARTITIONS, digits=0),
    Target("observed_mae_2000_plus", "observed-range MAE, 2,000+ players", high=0.01),
    Target("pooled_to_raw_2000_plus", "pooled / raw KM error, 2,000+ players", high=1.0, digits=3),
    Target("partitions_100_300", "partitions of 100-300 players", low=MIN_PARTITIONS, digits=0),
    Target("pooled_to_raw_100_300", "pooled / raw KM error, 100-300 players", high=0.7, digits=3),
    Target(
        "partitions_tail",
        "partitions (100+) with month 60 extrapolated",
        low=MIN_PARTITIONS,
        digits=0,
    ),
    Target("relative_error_s36", "relative error of S(36)", high=0.10, digits=3),
    Target("relative_error_s60", "relative error of S(60)", high=0.15, digits=3),
    Target("relative_error_rmst60", "relative error of RMST(60)", high=0.05, digits=3),
    Target("coverage_observed", "95% band coverage, observed months", *COVERAGE, digits=3),
    Target("coverage_extrapolated", "95% band coverage, extrapolated months", *COVERAGE, digits=3),
    *[
        Target(
            f"coverage_beyond_{lo}_{hi}",
            f"  coverage {lo}-{hi} months beyond the data",
            *COVERAGE,
            digits=3,
        )
        for lo, hi in BEYOND_BINS
    ],
    Target(
        "partitions_beyond_37_60",
        "  partitions behind the 37-60 months figure",
        low=MIN_PARTITIONS,
        digits=0,
    ),
    Target("coverage_rmst60", "95% band coverage of RMST(60)", *COVERAGE, digits=3),
]


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


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def survival_figures(
    joined: pd.DataFrame, rmst_bands: pd.DataFrame | None = None
) -> dict[str, float | None]:
    """Every survival figure from the curve rows joined with the truth (see `compare`).

    `rmst_bands` (partner_id, geo, lower, upper) are the model's RMST(60) bands, if it has any.
    """
    keys = ["partner_id", "geo"]
    observed = joined[~joined["is_extrapolated"] & (joined["month_number"] > 0)]
    per_partition = observed.groupby(keys).agg(
        n_players=("n_players", "first"),
        mae=("error_expected", "mean"),
        raw_mae=("raw_error_expected", "mean"),
    )
    per_partition["band"] = per_partition["n_players"].map(size_band)
    large = per_partition[per_partition["band"] == "2000+"]
    small = per_partition[per_partition["band"] == "100-300"]
    figures: dict[str, float | None] = {
        "partitions_2000_plus": float(len(large)),
        "observed_mae_2000_plus": _mean(large["mae"]),
        "pooled_to_raw_2000_plus": _ratio(_mean(large["mae"]), _mean(large["raw_mae"])),
        "partitions_100_300": float(len(small)),
        "pooled_to_raw_100_300": _ratio(_mean(small["mae"]), _mean(small["raw_mae"])),
    }

    wide = joined.pivot_table(
        index=keys, columns="month_number", values=["survival", "expected"], aggfunc="first"
    )
    # A top-level key of the pivoted columns selects a frame (the stubs say a Series).
    survival_wide = cast(pd.DataFrame, wide["survival"])
    expected_wide = cast(pd.DataFrame, wide["expected"])
    month_60_extrapolated = (
        joined[joined["month_number"] == MAX_MONTH].groupby(keys)["is_extrapolated"].first()
    )
    sizes = joined.groupby(keys)["n_players"].first()
    tail = month_60_extrapolated[month_60_extrapolated & (sizes >= MIN_TAIL_PLAYERS)].index
    figures["partitions_tail"] = float(len(tail))
    if len(tail):
        model, truth = survival_wide.loc[tail], expected_wide.loc[tail]
        for month in (36, 60):
            figures[f"relative_error_s{month}"] = float(
                ((model[month] - truth[month]).abs() / truth[month]).mean()
            )
        months = list(range(RMST_MONTHS))
        rmst_model, rmst_truth = model[months].sum(axis=1), truth[months].sum(axis=1)
        figures["relative_error_rmst60"] = float(
            ((rmst_model - rmst_truth).abs() / rmst_truth).mean()
        )
    figures["coverage_observed"] = _mean(observed["covered_expected"])

    last_observed = joined[~joined["is_extrapolated"]].groupby(keys)["month_number"].max()
    extrapolated = joined[joined["is_extrapolated"]].merge(
        last_observed.rename("last_observed").reset_index(), on=keys
    )
    beyond = extrapolated["month_number"] - extrapolated["last_observed"]
    figures["coverage_extrapolated"] = _mean(extrapolated["covered_expected"])
    for lo, hi in BEYOND_BINS:
        figures[f"coverage_beyond_{lo}_{hi}"] = _mean(
            extrapolated.loc[beyond.between(lo, hi), "covered_expected"]
        )
    # The far months exist only for partitions young at the export: few in most regimes, and
    # a coverage over a handful of curves (their months move together) says little.
    far = extrapolated.loc[beyond.between(*BEYOND_BINS[-1])]
    figures["partitions_beyond_37_60"] = float(len(far[keys].drop_duplicates()))

    if rmst_bands is not None and len(rmst_bands):
        truth_rmst = expected_wide[list(range(RMST_MONTHS))].sum(axis=1).rename("truth")
        bands = rmst_bands.merge(truth_rmst.reset_index(), on=keys)
        figures["coverage_rmst60"] = _mean(bands["truth"].between(bands["lower"], bands["upper"]))
    return figures


def rmst_band_columns(columns: list[str]) -> tuple[str, str] | None:
    """The summary's lower and upper RMST(60) band columns, if the model has them."""

    def find(side: str) -> str | None:
        return next(
            (
                c
                for c in columns
                if re.fullmatch(
                    rf"(rmst|restricted_mean_months)_?60\w*_{side}|rmst\w*_{side}_?60", c
                )
            ),
            None,
        )

    lower, upper = find("lower"), find("upper")
    return (lower, upper) if lower and upper else None


def regime_figures(run: RegimeRun) -> dict[str, float | None]:
    """Reads the built curves, sets them beside the run's truth, returns the figures."""
    if not run.has_table("marts.churn_survival_curves"):
        print("    no survival curves were built:", *run.failures(), sep="\n    ")
        return {}
    curves = run.frame("""
        select partner_id, geo, n_players, month_number, survival, survival_lower,
               survival_upper, raw_survival, is_extrapolated
        from marts.churn_survival_curves
        where pooling_level = 'partition' and segment_type = 'all'""")
    truth_players = run.result.truth["players"]
    realised = run.result.truth["survival_curves"]
    realised = realised[realised["level"] == "partition"].rename(
        columns={"month": "month_number", "survival": "realised"}
    )[["partner_id", "geo", "month_number", "realised"]]
    truth = expected_curves(truth_players, f"{run.config.end}-01").merge(
        realised, on=["partner_id", "geo", "month_number"]
    )
    rmst_bands = None
    if run.has_table("marts.churn_survival_summary"):
        columns = run.frame("select * from marts.churn_survival_summary limit 0").columns
        found = rmst_band_columns(list(columns))
        if found:
            rmst_bands = run.frame(f"""
                select partner_id, geo, {found[0]} as lower, {found[1]} as upper
                from marts.churn_survival_summary
                where pooling_level = 'partition' and segment_type = 'all'""")
    return survival_figures(compare(curves, truth), rmst_bands)


def run(args: argparse.Namespace) -> int:
    """Runs the chosen regimes; returns 0 when they ran (the verdicts are in the tables)."""
    validate_regimes(args, "survival", TARGETS, regime_figures)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The survival subcommand's options (on a given subparser, or a parser of its own)."""
    parser = parser or argparse.ArgumentParser(prog="python -m churn.validate survival")
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_run_arguments(parser)
    return parser
