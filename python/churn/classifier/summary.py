"""`python -m churn.classifier.summary [--database warehouse/churn.duckdb]`: prints the
classifier's evaluation from a built warehouse: every candidate out of fold (`cv`, which chose the
default) and on the test cohorts, the paired AUC gains, the default and how its per-partition test
AUCs spread."""

from __future__ import annotations

import argparse
import os
import sys

import duckdb
import pandas as pd

CANDIDATES = """
select data_split, model_name, is_default, n_players, base_rate, roc_auc, roc_auc_lower,
       roc_auc_upper, pr_auc, log_loss, brier_score, expected_calibration_error as ece,
       calibration_slope,
       calibration_intercept, top_decile_lift, top_decile_capture, n_submodels,
       roc_auc_gain_vs_logistic, roc_auc_gain_vs_logistic_lower, roc_auc_gain_vs_logistic_upper,
       roc_auc_gain_vs_global, roc_auc_gain_vs_global_lower, roc_auc_gain_vs_global_upper,
       model_version, artifact_path
from marts.churn_classifier_evaluation
where slice_type = 'overall'
order by data_split, algorithm desc,
    case grain when 'global' then 0 when 'partner' then 1 else 2 end
"""
PARTITIONS = """
select count(*) as partitions, sum(n_players) as players, min(roc_auc) as min_auc,
       median(roc_auc) as median_auc, max(roc_auc) as max_auc,
       median(expected_calibration_error) as median_ece
from marts.churn_classifier_evaluation
where data_split = 'test' and slice_type = 'partition' and is_default and n_players >= {min_players}
"""


def interval_text(row: pd.Series, column: str) -> str:
    """'value [lower, upper]' from the column and its _lower / _upper twins; '' when missing."""
    if pd.isna(row[column]):
        return ""
    return f"{row[column]:.4f} [{row[f'{column}_lower']:.4f}, {row[f'{column}_upper']:.4f}]"


def _interval(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.apply(interval_text, axis=1, column=column)


def main(argv: list[str] | None = None) -> int:
    """Prints the summary; returns 1 when the warehouse has no trained classifier."""
    parser = argparse.ArgumentParser(prog="python -m churn.classifier.summary", description=__doc__)
    parser.add_argument(
        "--database", default=os.environ.get("CHURN_DUCKDB_PATH", "warehouse/churn.duckdb")
    )
    parser.add_argument(
        "--min-partition-players",
        type=int,
        default=200,
        help="partitions with at least this many test players in the spread",
    )
    args = parser.parse_args(argv)
    with duckdb.connect(args.database, read_only=True) as connection:
        candidates = connection.sql(CANDIDATES).df()
        if candidates.empty:
            print("no trained classifier in this warehouse")
            return 1
        spread = connection.sql(PARTITIONS.format(min_players=args.min_partition_players)).df()
    default = candidates[candidates["is_default"] & (candidates["data_split"] == "test")].iloc[0]
    print(
        f"model version {default['model_version']}; default {default['model_name']}; "
        f"artifact {default['artifact_path']}"
    )
    print(
        f"test cohorts: {int(default['n_players']):,} labelled players, base rate "
        f"{default['base_rate']:.3f}\n"
    )
    table = pd.DataFrame(
        {
            "split": candidates["data_split"],
            "model": candidates["model_name"],
            "roc_auc [95% CI]": _interval(candidates, "roc_auc"),
            "pr_auc": candidates["pr_auc"].round(4),
            "log_loss": candidates["log_loss"].round(4),
            "brier": candidates["brier_score"].round(4),
            "ece": candidates["ece"].round(4),
            "cal_slope": candidates["calibration_slope"].round(3),
            "cal_intercept": candidates["calibration_intercept"].round(3),
            "top10_lift": candidates["top_decile_lift"].round(3),
            "top10_capture": candidates["top_decile_capture"].round(3),
            "submodels": candidates["n_submodels"],
        }
    )
    print(table.to_string(index=False))
    print("\npaired AUC gains [bootstrap 95% CI]")
    gains = pd.DataFrame(
        {
            "split": candidates["data_split"],
            "model": candidates["model_name"],
            "vs logistic (same grain)": _interval(candidates, "roc_auc_gain_vs_logistic"),
            "vs global (same algorithm)": _interval(candidates, "roc_auc_gain_vs_global"),
        }
    )
    print(gains[(gains.iloc[:, 2] != "") | (gains.iloc[:, 3] != "")].to_string(index=False))
    row = spread.iloc[0]
    if row["partitions"]:
        print(
            f"\ndefault model per partition ({int(row['partitions'])} partitions with "
            f">= {args.min_partition_players} test players, {int(row['players']):,} players): "
            f"AUC min {row['min_auc']:.4f}, median {row['median_auc']:.4f}, max "
            f"{row['max_auc']:.4f}; median ECE {row['median_ece']:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
