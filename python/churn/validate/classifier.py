"""`python -m churn.validate classifier --regime NAME | --all`: simulate each regime on two
seeds, build the warehouse on it, and set the quick-churn classifier beside the best achievable,
the simulator's Bayes-optimal probability given exactly the month-0 observables, on the same
test players, every figure beside its target.

Figures (test players: the warehouse's `test` split, matched to the truth):
- AUC / Bayes AUC on the same test players (>= 0.98);
- calibration slope (logistic recalibration of the labels on logit p; 0.9-1.1);
- calibration in the large per FTD cohort: |mean probability - observed rate| of each test
  cohort of 100+ players, the worst cohort reported (<= 0.01); the Bayes probability's worst
  cohort is shown beside it, as the floor the cohorts' sampling noise sets. A cohort of n
  players has a rate that a calibrated model misses by its sampling noise alone (standard
  error sqrt(p (1 - p) / n): 0.009 for 2,500 players), so the same 0.01 target is also checked
  noise-aware, on its own row beside the strict one: the worst cohort's gap less its 95%
  sampling bound (Bonferroni over the cohorts). The strict row keeps its verdict;
- expected calibration error (<= 0.02), beside the ECE a calibrated model would show on the
  same players by chance (95th percentile of the ECE of outcomes drawn from the model's own
  probabilities: the noise floor of the figure, not a target);
- test players whose state no train cohort has (a state launched after the train cohorts):
  their share and their mean probability less their observed rate (reference: a model cannot
  learn a state effect it has never seen, and launch cohorts churn more);
- AUC gain over a plain logistic regression on first-month money alone (log deposit, log
  handle, signed log NGR of the decision window), fitted here on the `train` split (>= 0.01).
A regime where no model was trained says so and its figures are n/a.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from churn.classifier.metrics import (
    bootstrap_weights,
    calibration_slope_intercept,
    expected_calibration_error,
    percentile_interval,
    weighted_roc_auc,
)
from churn.classifier.summary import interval_text
from churn.validate.common import RegimeRun, add_run_arguments, validate_regimes
from churn.validate.targets import Target

N_RESAMPLES = 1000
KEYS = ["partner_id", "geo", "account_id"]
MIN_COHORT_PLAYERS = 100
MONEY_COLUMNS = ["decision_deposit", "decision_handle", "decision_ngr"]

TARGETS: list[Target] = [
    Target("model_trained", "a model was trained (1 = yes)", low=1, digits=0),
    Target("test_players", "test players matched to the truth", digits=0),
    Target("model_auc", "model AUC"),
    Target("bayes_auc", "Bayes AUC"),
    Target("auc_ratio", "AUC / Bayes AUC", low=0.98),
    Target("calibration_slope", "calibration slope", low=0.9, high=1.1, digits=3),
    Target("bayes_calibration_slope", "  Bayes calibration slope", digits=3),
    Target("test_cohorts", f"test FTD cohorts of {MIN_COHORT_PLAYERS}+ players", digits=0),
    Target("worst_cohort_calibration", "worst cohort |mean p - observed rate|", high=0.01),
    Target("bayes_worst_cohort_calibration", "  Bayes worst cohort |mean p - rate|"),
    Target(
        "worst_cohort_calibration_beyond_noise",
        "  noise-aware: worst cohort gap less its 95% noise",
        high=0.01,
    ),
    Target("ece", "expected calibration error", high=0.02),
    Target("bayes_ece", "  Bayes expected calibration error"),
    Target("ece_noise_floor", "  ECE of a calibrated model by chance (95%)"),
    Target("unseen_state_share", "test players in states no train cohort has", digits=3),
    Target("unseen_state_calibration", "  their mean p - observed rate"),
    Target("money_logistic_auc", "logistic on first-month money: AUC"),
    Target("auc_gain_vs_money_logistic", "AUC gain over that logistic", low=0.01),
]


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


def report(evaluation: pd.DataFrame, test: pd.DataFrame, seed: int) -> None:
    """Prints the candidates on the test cohorts, their paired AUC gains and the default model
    beside the Bayes probability with bootstrap intervals (the `--details` view)."""
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


def money_features(frame: pd.DataFrame) -> np.ndarray:
    """First-month money as a logistic regression sees it: log deposit, log handle, signed log
    NGR (amounts are heavy-tailed)."""
    deposit, handle, ngr = (frame[c].fillna(0.0).to_numpy(float) for c in MONEY_COLUMNS)
    return np.column_stack(
        [
            np.log1p(np.maximum(deposit, 0.0)),
            np.log1p(np.maximum(handle, 0.0)),
            np.sign(ngr) * np.log1p(np.abs(ngr)),
        ]
    )


def money_logistic(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """P(quick churn) on the test players from a logistic regression on first-month money,
    fitted on the train players."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(money_features(train), train["is_quick_churn"].astype(int).to_numpy())
    return model.predict_proba(money_features(test))[:, 1]


def worst_cohort(test: pd.DataFrame, column: str) -> tuple[float | None, str, int]:
    """The largest |mean probability - observed rate| over FTD cohorts of enough test players:
    (gap, cohort month, number of cohorts)."""
    grouped = test.groupby("ftd_month").agg(n=("y", "size"), p=(column, "mean"), rate=("y", "mean"))
    grouped = grouped[grouped["n"] >= MIN_COHORT_PLAYERS]
    if grouped.empty:
        return None, "", 0
    gap = (grouped["p"] - grouped["rate"]).abs()
    return float(gap.max()), str(pd.Timestamp(gap.idxmax()).date())[:7], len(grouped)


def worst_cohort_beyond_noise(test: pd.DataFrame, column: str) -> float | None:
    """The largest cohort gap |mean p - observed rate| less the 95% bound of the observed rate's
    sampling noise under a calibrated model, sqrt(p (1 - p) / n), Bonferroni over the cohorts of
    enough players (0 when every gap lies within its noise)."""
    grouped = test.groupby("ftd_month").agg(n=("y", "size"), p=(column, "mean"), rate=("y", "mean"))
    grouped = grouped[grouped["n"] >= MIN_COHORT_PLAYERS]
    if grouped.empty:
        return None
    z = float(norm.ppf(1 - 0.025 / len(grouped)))
    noise = z * np.sqrt(grouped["p"] * (1 - grouped["p"]) / grouped["n"])
    return float(np.maximum((grouped["p"] - grouped["rate"]).abs() - noise, 0.0).max())


def ece_noise_floor(probability: np.ndarray, seed: int, draws: int = 200) -> float:
    """95th percentile of the ECE of outcomes drawn from the probabilities themselves: what a
    perfectly calibrated model shows on this many players by chance."""
    rng = np.random.default_rng(seed)
    values = [
        expected_calibration_error(
            (rng.random(probability.size) < probability).astype(int), probability
        )
        for _ in range(draws)
    ]
    return float(np.quantile(values, 0.95))


def classifier_figures(test: pd.DataFrame, train: pd.DataFrame) -> dict[str, float | None]:
    """Every classifier figure from the test players (columns y, quick_churn_probability,
    bayes_p_quick_churn, ftd_month and the money columns) and the train players (money columns
    and is_quick_churn) for the money-only baseline."""
    y = test["y"].to_numpy(int)
    model = test["quick_churn_probability"].to_numpy(float)
    bayes = test["bayes_p_quick_churn"].to_numpy(float)
    figures: dict[str, float | None] = {"model_trained": 1.0, "test_players": float(len(y))}
    if len(y) == 0 or y.min() == y.max():
        return figures
    model_auc = figures["model_auc"] = float(weighted_roc_auc(y, model))
    bayes_auc = figures["bayes_auc"] = float(weighted_roc_auc(y, bayes))
    figures["auc_ratio"] = model_auc / bayes_auc
    figures["calibration_slope"] = float(calibration_slope_intercept(y, model)[0])
    figures["bayes_calibration_slope"] = float(calibration_slope_intercept(y, bayes)[0])
    gap, month, n_cohorts = worst_cohort(test, "quick_churn_probability")
    figures["test_cohorts"] = float(n_cohorts)
    figures["worst_cohort_calibration"] = gap
    figures["worst_cohort_month"] = month  # type: ignore[assignment]
    figures["bayes_worst_cohort_calibration"] = worst_cohort(test, "bayes_p_quick_churn")[0]
    figures["worst_cohort_calibration_beyond_noise"] = worst_cohort_beyond_noise(
        test, "quick_churn_probability"
    )
    figures["ece"] = float(expected_calibration_error(y, model))
    figures["bayes_ece"] = float(expected_calibration_error(y, bayes))
    figures["ece_noise_floor"] = ece_noise_floor(model, seed=len(y))
    if "geo" in test and "geo" in train:
        unseen = ~test["geo"].isin(set(train["geo"]))
        figures["unseen_state_share"] = float(unseen.mean())
        if unseen.any():
            figures["unseen_state_calibration"] = float(
                model[unseen.to_numpy()].mean() - y[unseen.to_numpy()].mean()
            )
    labelled = train.dropna(subset=["is_quick_churn"])
    if len(labelled) and labelled["is_quick_churn"].nunique() == 2:
        baseline = money_logistic(labelled, test)
        money_auc = figures["money_logistic_auc"] = float(weighted_roc_auc(y, baseline))
        figures["auc_gain_vs_money_logistic"] = model_auc - money_auc
    return figures


def regime_figures(run: RegimeRun, details: bool = False) -> dict[str, float | None]:
    """Reads the built scores, matches the test players to the truth, returns the figures."""
    if not run.has_table("marts.churn_quick_scores"):
        print("    no quick-churn scores were built:", *run.failures(), sep="\n    ")
        return {"model_trained": 0.0}
    scores = run.frame(f"""
        select features.partner_id, features.geo, features.account_id, scores.ftd_month,
               scores.data_split, scores.is_quick_churn,
               -- The served model is refitted on every labelled cohort, the test players
               -- included: they are judged by the held-out fit that never saw them.
               case when scores.data_split = 'test'
                    then coalesce(scores.holdout_probability, scores.quick_churn_probability)
                    else scores.quick_churn_probability end as quick_churn_probability,
               {", ".join(f"features.{c}" for c in MONEY_COLUMNS)}
        from marts.churn_quick_scores as scores
        inner join intermediate.int_classifier__features as features
            on scores.player_id = features.player_id""")
    if scores["quick_churn_probability"].isna().all():
        status = ""
        if run.has_table("marts.churn_classifier_evaluation"):
            status = "; ".join(
                run.frame("select distinct status from marts.churn_classifier_evaluation")["status"]
            )
        print(
            f"    seed {run.config.seed}: no model was trained ({status or 'no status'}); "
            "every probability is null"
        )
        return {"model_trained": 0.0}
    truth = run.result.truth["players"][[*KEYS, "bayes_p_quick_churn", "quick_churn"]]
    test = scores[scores["data_split"] == "test"].merge(
        truth, on=KEYS, how="inner", validate="one_to_one"
    )
    # Sorted, so resamples and fits do not depend on the order the warehouse returned.
    test = test.sort_values(KEYS).reset_index(drop=True)
    test["y"] = test["is_quick_churn"].astype(int)
    train = scores[scores["data_split"] == "train"].sort_values(KEYS)
    figures = classifier_figures(test, train)
    month = figures.pop("worst_cohort_month", "")
    if month:
        print(f"    seed {run.config.seed}: worst-calibrated test cohort {month}")
    if details and run.has_table("marts.churn_classifier_evaluation"):
        evaluation = run.frame("select * from marts.churn_classifier_evaluation")
        report(evaluation, test.assign(is_quick_churn=test["y"]), run.config.seed)
    return figures


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The classifier subcommand's options (on a given subparser, or a parser of its own)."""
    parser = parser or argparse.ArgumentParser(prog="python -m churn.validate classifier")
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_run_arguments(parser)
    parser.add_argument(
        "--details",
        action="store_true",
        help="also print each run's candidate models and paired AUC gains",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs the chosen regimes; returns 0 when they ran (the verdicts are in the tables)."""
    validate_regimes(
        args, "classifier", TARGETS, lambda run: regime_figures(run, details=args.details)
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
