"""`python -m churn.validate classifier`: simulate fresh data, build the warehouse on it, and set
the quick-churn classifier beside the best achievable, the simulator's Bayes-optimal probability
given exactly the month-0 observables, on the same test players, against the issue's targets.

Targets: test ROC-AUC at least 0.97 x the Bayes AUC; expected calibration error at most 0.02; the
boosted model the default only when it beats the logistic baseline by more than the bootstrap
interval of the paired AUC gain, the baseline kept otherwise.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from churn.classifier.metrics import (
    bootstrap_weights,
    expected_calibration_error,
    percentile_interval,
    weighted_roc_auc,
)
from churn.classifier.summary import interval_text
from churn.validate.common import (
    add_simulation_arguments,
    print_targets,
    simulate_into_workdir,
)
from churn.warehouse import run_dbt

TARGETS = {"auc_ratio": 0.97, "ece": 0.02}
N_RESAMPLES = 1000
KEYS = ["partner_id", "geo", "account_id"]


def model_vs_bayes(test: pd.DataFrame, seed: int) -> dict[str, float]:
    """AUCs of the model and of the Bayes probability on the same players, and their ratio, each
    with a bootstrap 95% interval over the same resamples."""
    y = test["is_quick_churn"].astype(int).to_numpy()
    model = test["quick_churn_probability"].to_numpy()
    bayes = test["bayes_p_quick_churn"].to_numpy()
    weights = bootstrap_weights(len(y), N_RESAMPLES, seed)
    model_draws, bayes_draws = (
        weighted_roc_auc(y, model, weights),
        weighted_roc_auc(y, bayes, weights),
    )
    figures = {
        "n_players": len(y),
        "model_auc": float(weighted_roc_auc(y, model)),
        "bayes_auc": float(weighted_roc_auc(y, bayes)),
        "model_ece": expected_calibration_error(y, model),
        "bayes_ece": expected_calibration_error(y, bayes),
    }
    figures["auc_ratio"] = figures["model_auc"] / figures["bayes_auc"]
    for name, draws in (
        ("model_auc", model_draws),
        ("bayes_auc", bayes_draws),
        ("auc_ratio", model_draws / bayes_draws),
    ):
        figures[f"{name}_lower"], figures[f"{name}_upper"] = percentile_interval(draws)
    return figures


def report(evaluation: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, float]:
    """Prints the comparison tables and the targets; returns the headline figures."""
    overall = evaluation[
        (evaluation["data_split"] == "test") & (evaluation["slice_type"] == "overall")
    ]
    overall = overall.set_index("model_name")
    default = str(overall.index[overall["is_default"]][0])
    print(
        f"\nCandidates on the test cohorts ({int(overall['n_players'].iloc[0]):,} labelled "
        f"players, base rate {overall['base_rate'].iloc[0]:.3f}); default: {default}"
    )
    table = pd.DataFrame(
        {
            "roc_auc [95% CI]": overall.apply(interval_text, axis=1, column="roc_auc"),
            "pr_auc": overall["pr_auc"].round(4),
            "log_loss": overall["log_loss"].round(4),
            "ece": overall["expected_calibration_error"].round(4),
            "cal_slope": overall["calibration_slope"].round(3),
            "top10_lift": overall["top_decile_lift"].round(3),
            "submodels": overall["n_submodels"],
        }
    )
    print(table.to_string())

    print("\nPaired AUC gains on the same test players (bootstrap 95% interval)")
    for name, row in overall.iterrows():
        for reference in ("logistic", "global"):
            if pd.notna(row[f"roc_auc_gain_vs_{reference}"]):
                gain = interval_text(row, f"roc_auc_gain_vs_{reference}")
                print(f"  {name:<20} vs {reference:<9} {gain}")

    figures = model_vs_bayes(test, seed)
    print(
        f"\nDefault model ({default}) beside the Bayes-optimal probability, same "
        f"{figures['n_players']:,} test players (bootstrap 95% intervals)"
    )
    print(
        f"  model AUC  {figures['model_auc']:.4f} [{figures['model_auc_lower']:.4f}, "
        f"{figures['model_auc_upper']:.4f}]   ECE {figures['model_ece']:.4f}"
    )
    print(
        f"  Bayes AUC  {figures['bayes_auc']:.4f} [{figures['bayes_auc_lower']:.4f}, "
        f"{figures['bayes_auc_upper']:.4f}]   ECE {figures['bayes_ece']:.4f}"
    )
    print(
        f"  ratio      {figures['auc_ratio']:.4f} [{figures['auc_ratio_lower']:.4f}, "
        f"{figures['auc_ratio_upper']:.4f}]"
    )

    boosted = overall.loc["boosted_global"] if "boosted_global" in overall.index else None
    boosted_wins = boosted is not None and boosted["roc_auc_gain_vs_logistic_lower"] > 0
    default_algorithm = overall.loc[default, "algorithm"]
    rule_kept = (default_algorithm == "boosted") == bool(boosted_wins)
    gain = interval_text(boosted, "roc_auc_gain_vs_logistic") if boosted is not None else "n/a"
    default_ece = float(overall.loc[default, "expected_calibration_error"])
    checks = [
        (
            "test AUC / Bayes AUC",
            figures["auc_ratio"],
            f">= {TARGETS['auc_ratio']}",
            figures["auc_ratio"] >= TARGETS["auc_ratio"],
        ),
        (
            "expected calibration error (test)",
            default_ece,
            f"<= {TARGETS['ece']}",
            default_ece <= TARGETS["ece"],
        ),
    ]
    print_targets(checks, label_width=36)
    print(
        f"  boosted vs logistic AUC gain {gain}: "
        + (
            "above zero, boosted is the default"
            if boosted_wins
            else "interval includes zero, the logistic baseline is kept as the default"
        )
        + f" ({'rule applied' if rule_kept else 'NOT as the rule says'})"
    )
    print(f"  chosen grain: {overall.loc[default, 'grain']}")
    return {**figures, "default_ece": default_ece, "default": default}


def main(argv: list[str] | None = None) -> int:
    """Simulates, builds, compares; returns 0 when the build succeeded (targets are reported)."""
    parser = argparse.ArgumentParser(
        prog="python -m churn.validate classifier",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_arguments(
        parser, players=80_000, partners=8, states=15, start="2019-01", end="2024-12", seed=11
    )
    args = parser.parse_args(argv)
    config, result, workdir, export = simulate_into_workdir(args, "churn-validate-classifier-")
    if (config.quick_churn_months, config.churn_inactive_months) != (3, 3):
        raise SystemExit("the Bayes probability is for H = 3, K = 3")

    started = time.perf_counter()
    run = run_dbt(
        ["build", "--select", "+churn_quick_scores", "--indirect-selection", "cautious"],
        workdir,
        {
            "raw_activity_path": str(export),
            "quick_churn_months": 3,
            "churn_inactive_months": 3,
            "decision_month": 0,
            "classifier_artifact_dir": str(workdir / "artifacts"),
        },
    )
    if run.returncode != 0:
        print(run.output[-3000:])
        return 1
    print(f"dbt build up to churn_quick_scores: {time.perf_counter() - started:.0f} s ({workdir})")

    evaluation = run.frame("select * from marts.churn_classifier_evaluation")
    if (evaluation["model_name"] == "none").all():
        print(f"nothing trained: {evaluation['status'].iloc[0]}")
        return 1
    scores = run.frame("""
        select features.partner_id, features.geo, features.account_id, scores.is_quick_churn,
               scores.quick_churn_probability
        from marts.churn_quick_scores as scores
        inner join intermediate.int_classifier__features as features
            on scores.player_id = features.player_id
        where scores.data_split = 'test'""")
    truth = result.truth["players"][[*KEYS, "bayes_p_quick_churn", "quick_churn"]]
    # Sorted, so the bootstrap resamples do not depend on the order the warehouse returned.
    test = scores.merge(truth, on=KEYS, how="inner", validate="one_to_one").sort_values(KEYS)
    agreement = float(
        (test["quick_churn"].astype(bool) == test["is_quick_churn"].astype(bool)).mean()
    )
    print(
        f"test players matched to the truth: {len(test):,} of {len(scores):,}; warehouse label = "
        f"true label for {agreement:.2%} (the rest carry injected data problems)"
    )
    report(evaluation, test, args.seed)
    return 0
