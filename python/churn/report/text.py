"""The prose of the reports and of the generated parts of docs/: templates whose numbers are
facts (churn.report.facts), never typed in. The same bullets appear in the HTML and in the docs.
"""

from __future__ import annotations

from churn.report.facts import Facts

# --- exploration -----------------------------------------------------------------------------

EDA_OVERVIEW = [
    "The export covers {window_months} months, {data_start} to {export_month} (the export month: "
    "the data end that every censoring decision uses).",
    "{n_raw_rows:,} raw rows: {n_clean_rows:,} clean and {n_quarantined_rows:,} "
    "({share_quarantined:.1%}) quarantined with a reason; each row is in exactly one place.",
    "{n_players:,} players (a partner account in one state) of {n_partners:#partner} in "
    "{n_states:#state}: {n_partitions:#partition} (partner x state) "
    "{partition_sizes_clause}; {n_partitions_under_500:,} "
    "{n_partitions_under_500:?has|have} fewer than 500 players.",
    "{partner_shares_sentence}",
    "The book grows: {active_first_year_mean:,.0f} active players a month on "
    "average in the first year of data, {active_last_year_mean:,.0f} in the last; FTDs went from "
    "{ftds_first_year_mean:,.0f} to {ftds_last_year_mean:,.0f} a month (peak {peak_ftds:,} in "
    "{peak_ftd_month}).",
    "In {n_partitions_late_entry:,} of {n_partitions:#partition} the first FTD comes after the "
    "state's launch month (the partner entered late, or the state launched before the data); "
    "{n_partitions_left_truncated:#partition} {n_partitions_left_truncated:?has|have} players "
    "who deposited before the data window "
    "({n_left_truncated:#player}, {share_left_truncated:.1%}).",
]

EDA_COHORTS = [
    "Most players leave at once: {share_one_active_month:.0%} of those who deposited inside the "
    "window are active only in their FTD month and {share_under_4_active_months:.0%} in at most "
    "three months; the median player has {median_active_months:#active month}.",
    "Of an FTD cohort, {retention_1:.0%} are active in month 1, {retention_3:.0%} in month 3, "
    "{retention_12:.0%} in month 12 and {retention_24:.0%} in month 24 (pooled over the cohorts "
    "observed that long).",
    "Under the churn rule (K = {k} inactive months) {share_churned:.0%} of players have churned "
    "and {share_censored:.0%} are right-censored: {share_censored_active:.1%} active in the "
    "export month, {share_censored_lapsing:.1%} inactive for fewer than K months (outcome not "
    "known yet).",
]

EDA_GAPS = [
    "{n_closed_gaps:,} inactive gaps end with a return to activity; "
    "{share_closed_gaps_one_month:.0%} of them last one month. {n_reactivation_gaps:,} "
    "({share_closed_gaps_churn_length:.0%}) last K = {k} months or more: reactivations after a "
    "churn.",
    "The threshold is a judgement call: {n_gaps_k_minus_1:#gap} of K - 1 months closed with "
    "activity, against {n_gaps_k:,} of exactly K months; {n_reactivated:,} churned players "
    "({share_reactivated_of_churned:.0%}) came back at least once.",
    "The sports calendar shows: FTDs peak in {peak_ftd_calendar_month} and are lowest in "
    "{low_ftd_calendar_month} ({ftd_peak_to_low_ratio:.1f} times fewer); the active rate of "
    "players not yet churned falls to {low_activity_rate:.0%} in {low_activity_month}, against "
    "{high_activity_rate:.0%} in {high_activity_month}.",
    "Seasonality inflates the inactivity rule: {high_reactivation_share:.0%} of churn spells "
    "starting in {high_reactivation_month} end in a reactivation, against "
    "{low_reactivation_share:.0%} of those starting in {low_reactivation_month}: a summer break "
    "looks like churn.",
]

EDA_MONEY = [
    "Per active month the median deposit is ${deposit_p50:,.0f} and the mean "
    "${deposit_mean_amount:,.0f}; the 99th percentile is ${deposit_p99:,.0f} and the largest "
    "${deposit_max_amount:,.0f}. Handle: median ${handle_p50:,.0f}, 99th percentile "
    "${handle_p99:,.0f}, largest ${handle_max_amount:,.0f}.",
    "{deposit_share_zero:.0%} of active months have a bet but no deposit (betting from the "
    "balance) and {handle_share_zero:.0%} a deposit but no bet; {n_never_bet:#player} "
    "({share_never_bet:.0%}) have no first cash bet at all.",
    "Whales: the top 1% of players bring {ngr_top_1pct:.0%} of all NGR and the top 10% "
    "{ngr_top_10pct:.0%}; the top 1% of depositors bring {deposit_top_1pct:.0%} of deposits.",
    "NGR is negative in {share_negative_ngr_months:.0%} of active months (between "
    "{negative_ngr_months_min:.0%} and {negative_ngr_months_max:.0%} across products, and up to "
    "{negative_ngr_ftd_months_max:.0%} of FTD months, for {negative_ngr_ftd_months_max_product}) "
    "and over the whole observed life of "
    "{ngr_share_players_negative:.0%} of players; 1% of active months lose the operator more "
    "than ${ngr_p01_loss:,.0f}.",
    "{deposit_n_negative:,} active months carry a negative deposit (a reversal, flagged).",
]

EDA_JOURNEY = [
    "{reg_to_ftd_same_day:.0%} of players deposit on the day they register; "
    "{reg_to_ftd_over_30:.1%} wait more than 30 days (pre-registration before a state's launch, "
    "for one); "
    "{reg_to_ftd_negative:,} show the FTD before the registration (a flagged data problem).",
    "{first_bet_same_day:.0%} place their first cash bet on the FTD day and "
    "{first_bet_within_week:.0%} within a week; {first_bet_never:.0%} have not bet at all; "
    "{first_bet_negative:,} show the bet before the FTD.",
    "Product mix: {product_mix}. The share churned by the export goes from "
    "{least_churned_share:.0%} ({least_churned_product}) to {most_churned_share:.0%} "
    "({most_churned_product}).",
    "{n_channels:#channel} (our referring brands); {top_channel} brings {top_channel_share:.0%} "
    "of the players.",
]

EDA_PROBLEMS = [
    "{problem_rows_quarantine:#row} quarantined, {problem_rows_flag:,} kept with a flag "
    "({problem_negative_ngr_rows:,} of them only for a negative NGR, which is normal) and "
    "{problem_rows_normalise:,} normalised on the way in. The largest quarantine reason is "
    "`{top_quarantine_reason}` ({top_quarantine_rows:#row}).",
    "Test accounts: {problem_test_account_accounts:#account} with "
    "{problem_test_account_rows:#row}; their amounts would dwarf every real player's.",
    "Duplicates: {problem_duplicate_rows:,} extra copies of a player-month; counted, they would "
    "inflate activity and money. All-zero rows: {problem_all_zero_activity_rows:,}; they are not "
    "activity and would hide gaps.",
    "No FTD date on any row: {problem_missing_ftd_date_accounts:#account} "
    "({problem_missing_ftd_date_rows:#row}) cannot be placed on the months_active axis; "
    "{problem_ftd_date_filled_rows:#row} missing it {problem_ftd_date_filled_rows:?was|were} "
    "repaired from the account's other rows.",
    "Invalid or missing state: {problem_invalid_brand_id_rows:#row}; "
    "{problem_brand_id_variant_rows:,} more were valid once trimmed and upper-cased, and "
    "{problem_product_label_variant_rows:,} product labels were mapped through the seed.",
]

EDA_CHALLENGES = [
    "Censoring at the data end: {share_censored:.0%} of players are right-censored (their "
    "follow-up averages {mean_followup_censored:.0f} months, against "
    "{mean_followup_churned:.0f} for the churned). Counting them as retained biases survival "
    "up; dropping them biases it down. The "
    "survival model keeps a player at risk only while the data can still decide a churn, and the "
    "classifier labels a player only once the label is decided.",
    "Late entry: {n_left_truncated:#player} deposited before the data window. Only those still "
    "playing appear, so they are survivors; starting them at month 0 would bias survival up. They "
    "enter the risk set at `entry_month` (left truncation) and the classifier does not use them.",
    "Duplicates ({problem_duplicate_rows:#row}), test accounts ({problem_test_account_rows:#row}) "
    "and all-zero rows ({problem_all_zero_activity_rows:,}) would inflate activity, money "
    "and gaps if kept; they are quarantined with a reason and reconciled on every build.",
    "Activity before the FTD: {problem_activity_before_ftd_rows:#row} "
    "{problem_activity_before_ftd_rows:?is|are} dated before the "
    "player's FTD month. They would give negative months_active; they are kept, flagged and left "
    "out of the panel.",
    "Seasonality inflates the inactivity rule: {high_reactivation_share:.0%} of churn spells "
    "that start in {high_reactivation_month} end in a reactivation, against "
    "{low_reactivation_share:.0%} in {low_reactivation_month}. A K-month rule read in summer "
    "overstates churn; the FTD calendar month is a classifier feature and reactivations are "
    "reported.",
    "Whales dominate value: the top 1% of players bring {ngr_top_1pct:.0%} of NGR and "
    "{ngr_share_players_negative:.0%} of players have negative lifetime NGR. Means of money are "
    "unstable, so the models predict churn (a count), and money enters the classifier as signed "
    "logs and ratios.",
    "Small partitions: {n_partitions_under_500:,} of {n_partitions:#partition} "
    "{n_partitions_under_500:?has|have} fewer than 500 players ({smallest_partition_players:,} "
    "for the smallest); their own curves are noisy, so they borrow strength from their partner "
    "(empirical-Bayes pooling).",
    "Rows lost to quarantine can open false gaps: a row dropped for an invalid state "
    "({problem_invalid_brand_id_rows:#row}) or an unparseable date "
    "({problem_unparseable_date_rows:,}) can look like an inactive month and an early churn.",
]

# --- models ----------------------------------------------------------------------------------

SURVIVAL_RESULTS = [
    "S(1) = {s1:.0%}: the monthly hazard is {hazard_1:.0%} at month 1, {hazard_2:.0%} at month "
    "2, {hazard_6:.1%} at month 6, {hazard_12:.1%} at month 12 and {hazard_24:.1%} at month 24. "
    "{hazard_verdict}",
    "Over {all_partners} S(12) = {s12:.1%}, S(24) = {s24:.1%}, S(60) = {s60:.1%}; a new depositor "
    "is active (not churned) {rmst12:.1f} of the first 12 months and {rmst60:.1f} of the first 60 "
    "on average (restricted mean).",
    "{partner_s12_clause} {worst_product_s12:.1%} ({worst_product}) to {best_product_s12:.1%} "
    "({best_product}).",
    "Of {states_partner}'s {n_states_shown:#largest state}, {n_states_extrapolated:,} "
    "{n_states_extrapolated:?is|are} observed "
    "for fewer than 60 months (the shortest, {shortest_state}, for {shortest_state_months}); past "
    "that the curve is the tail model's extrapolation, drawn dashed.",
]

SURVIVAL_POOLING = [
    "{pooled_partition} ({pooled_partition_players:#player}) uses "
    "{pooled_partition_weight:.0%} of its own data in the first year: at month {pooled_month} its "
    "pooled S is {pooled_s:.1%} against {raw_s:.1%} for its raw Kaplan-Meier, with a band "
    "{pooled_band_width:.3f} wide instead of {raw_band_width:.3f}.",
]

SURVIVAL_TAILS = [
    "Tail models chosen by out-of-time backtest for the partitions: {partition_tail_choice}; "
    "{n_partition_parent_tail:#partition} {n_partition_parent_tail:?borrows|borrow} their "
    "parent's tail. The median backtest MAE of "
    "the candidates at the partition level is {partition_backtest_mae_min:.4f} to "
    "{partition_backtest_mae_max:.4f}.",
    "Refitted at cutoffs {backtest_cutoffs} months before the export, the chosen tails missed "
    "what the export later showed, on the months they had to extrapolate, by "
    "{backtest_partition_mae:.4f} on average for partitions (mean signed error "
    "{backtest_partition_bias:+.4f}; "
    "{backtest_partition_mae_12:.4f} twelve months past the observed tenure; worst "
    "{backtest_partition_max:.4f}) and by {backtest_partner_mae:.4f} for {partners_word} (absolute "
    "survival: 0.01 is one percentage point).",
]

# For docs/models.md: the same backtest in coarser units, without the counts of chosen models.
# Between two builds of the same data the fits can differ in the fourth decimal of their backtest
# error (floating-point noise upstream), enough to flip a near-tie between two candidates, so the
# docs keep only numbers that such noise does not move; the HTML report shows the full detail.
SURVIVAL_TAILS_DOCS = [
    "Refitted at cutoffs {backtest_cutoffs} months before the export, the chosen tails missed what "
    "the export later showed, on the months they had to extrapolate, by "
    "{backtest_partition_mae_points:.1f} percentage points of survival on average for partitions "
    "and {backtest_partner_mae_points:.1f} for {partners_word}.",
    "Which candidate each group uses is in `marts.churn_survival_fits` and `reports/models.html`; "
    "it is not quoted here because near-ties between candidates can flip between two builds of the "
    "same data.",
]

CLASSIFIER_DATA = [
    "Label: quick churn, T <= H = {h} months. Out of time by FTD cohort: the candidates are "
    "chosen by rolling-origin cross-validation, scored out of fold on the cohorts "
    "{cv_first_cohort} to {cv_last_cohort} ({cv_players:#player}), then evaluated once on the "
    "test cohorts {test_first_cohort} to {test_last_cohort} ({test_players:,}) after a "
    "label-maturation gap; the served model is refitted on every labelled cohort. "
    "{n_unlabelled:,} younger players are scored but not labelled.",
    "The base rate is high: {test_base_rate:.0%} of the test cohorts churn quickly, so precision "
    "and PR-AUC must be read against it.",
]

CLASSIFIER_RESULTS = [
    "Default: `{default_model}` (of {n_candidates:#candidate}). On the test cohorts: ROC-AUC "
    "{test_auc:.3f} (95% {test_auc_lower:.3f} to {test_auc_upper:.3f}), PR-AUC {test_pr_auc:.3f}, "
    "Brier {test_brier:.3f}, log loss {test_log_loss:.3f}.",
    "The boosted model's AUC gain over the logistic baseline is {boosted_gain:+.4f} (95% "
    "{boosted_gain_lower:+.4f} to {boosted_gain_upper:+.4f}): {boosted_verdict}.",
    "The best finer grain (`{best_finer_model}`, {best_finer_submodels:#sub-model}) changes the "
    "AUC by {best_finer_gain:+.4f} (95% {best_finer_gain_lower:+.4f} to "
    "{best_finer_gain_upper:+.4f}) against its global model: {finer_verdict}.",
    "Calibrated: mean predicted {test_mean_probability:.1%} against {test_base_rate:.1%} "
    "observed; ECE {test_ece:.3f}, calibration slope {test_calibration_slope:.2f}; "
    "{calibration_gap_sentence}.",
    "The top decile churns quickly at {top_decile_rate:.0%} (lift {test_top_decile_lift:.2f}), "
    "the bottom decile at {bottom_decile_rate:.0%}; the top 30% of scores hold "
    "{capture_top_3_deciles:.0%} of the quick churners. With a base rate this high the model ranks "
    "players by risk more than it separates churners from keepers.",
    "AUC by split: cross-validation {cv_auc:.3f} (out of fold, what chose the model), test "
    "{test_auc:.3f} (the latest cohorts, the honest number: a model is used on cohorts later "
    "than those it learned from).",
]

# For docs/classifier.md: how much the bundled sample's evaluation can tell.
CLASSIFIER_SAMPLE = [
    "Export month {export_month}: the last labelled FTD cohort is {test_last_cohort}; the test "
    "cohorts {test_first_cohort} to {test_last_cohort} hold {test_players:#player}, so the "
    "default model's test AUC {test_auc:.3f} has a 95% interval of {test_auc_lower:.3f} to "
    "{test_auc_upper:.3f}.",
]

CLASSIFIER_SCORES = [
    "Median predicted probability by partition from {lowest_median_score:.0%} "
    "({lowest_median_partition}) to {highest_median_score:.0%} ({highest_median_partition}); "
    "the {n_scored_partitions:#partition} {n_scored_partitions:?is|are} served by: {served_by}.",
]

# --- production ------------------------------------------------------------------------------

PRODUCTION_PARTITIONS = [
    "The sample has {n_partitions} partitions: {partitions_0_299} with fewer than 300 players, "
    "{partitions_300_999} with 300-999, {partitions_1000_2999} with 1,000-2,999 and "
    "{partitions_3000_plus} with 3,000 or more.",
    "Their survival curves use on average {pooling_weight_0_299:.0%}, "
    "{pooling_weight_300_999:.0%}, {pooling_weight_1000_2999:.0%} and "
    "{pooling_weight_3000_plus:.0%} of their own data in the first year (by size band): the rest "
    "is borrowed from the partner, which borrows from all partners.",
    "Partitions served by a classifier sub-model of their own in the default model (by size "
    "band): {own_classifier_0_299}, {own_classifier_300_999}, {own_classifier_1000_2999}, "
    "{own_classifier_3000_plus}; the default is `{default_model}` and the partitions are served "
    "by: {served_by}.",
]

# --- figure captions: what to see ------------------------------------------------------------

CAPTIONS = {
    "fig-monthly-volumes": "Look at the growth as {partners_enter_states} and at the yearly FTD "
    "rhythm (peak in {peak_ftd_calendar_month}, low in {low_ftd_calendar_month}).",
    "fig-state-volumes": "Partition sizes range from {smallest_partition_players:,} to "
    "{largest_partition_players:#player}; {largest_partner_clause}.",
    "fig-cohort-retention": "Read a row left to right: {retention_1:.0%} of a cohort is active in "
    "month 1 and {retention_12:.0%} in month 12; the grey lower-right triangle is not observed yet "
    "(censoring).",
    "fig-months-active": "{share_one_active_month:.0%} of players have a single active month; grey "
    "bars are right-censored players, whose T is only a lower bound.",
    "fig-activity-gaps": "Blue: skips shorter than K = {k} months "
    "({share_closed_gaps_one_month:.0%} of closed gaps last one month); red: "
    "{n_reactivation_gaps:,} returns after a churn-length gap; dots: gaps still open at the "
    "export.",
    "fig-seasonality": "Left: the active rate bottoms in {low_activity_month}; right: "
    "{high_reactivation_share:.0%} of churn spells starting in {high_reactivation_month} end in a "
    "reactivation, against {low_reactivation_share:.0%} in {low_reactivation_month}.",
    "fig-money-distributions": "Mind the log scales: deposits have a median of "
    "${deposit_p50:,.0f} and a 99th percentile of ${deposit_p99:,.0f}; red is negative NGR, "
    "{share_negative_ngr_months:.0%} of active months.",
    "fig-whales": "The top 1% of players bring {ngr_top_1pct:.0%} of NGR and "
    "{deposit_top_1pct:.0%} of deposits.",
    "fig-negative-ngr": "Negative NGR in {negative_ngr_months_min:.0%} to "
    "{negative_ngr_months_max:.0%} of active months by product, and up to "
    "{negative_ngr_ftd_months_max:.0%} of FTD months ({negative_ngr_ftd_months_max_product}).",
    "fig-lags": "{reg_to_ftd_same_day:.0%} deposit the day they register and "
    "{first_bet_same_day:.0%} bet the day they deposit; red bars are data problems or no bet "
    "({first_bet_never:.0%}).",
    "fig-product-channel": "Each column is one channel's product mix (it sums to 100%), so the "
    "columns compare mixes whatever the channel's size; overall {top_product} is "
    "{top_product_share:.0%} of players and {top_channel} the largest channel "
    "({top_channel_share:.0%}).",
    "fig-data-problems": "Rows per problem (log scale): red quarantined "
    "({problem_rows_quarantine:,}), orange kept with a flag ({problem_rows_flag:,}), blue "
    "normalised ({problem_rows_normalise:,}).",
    "fig-km-by-state": "Compare the early drop and the tails of the states; dashed parts are "
    "extrapolated ({n_states_extrapolated} of the {n_states_shown} states are observed for fewer "
    "than 60 months).",
    "fig-km-by-product": "S(12) from {worst_product_s12:.1%} ({worst_product}) to "
    "{best_product_s12:.1%} ({best_product}); the log-scale panel shows the tails and their bands.",
    "fig-hazard": "The hazard is {hazard_1:.0%} in month 1, {hazard_12:.1%} in month 12 and "
    "{hazard_24:.1%} in month 24; dots are the raw events / at risk behind the pooled line.",
    "fig-pooled-vs-raw": "Blue: the pooled curve ({pooled_partition_weight:.0%} own data in year "
    "1); red: the partition's own Kaplan-Meier; dotted: the partner it borrows from. Month "
    "{pooled_month}: {pooled_s:.1%} pooled, {raw_s:.1%} raw.",
    "fig-backtest": "Top: refitted {backtest_cutoffs} months before the export, the curve over "
    "{all_partners} against what the export later showed, and their difference month by month "
    "(shaded where the tail extrapolated). Bottom: the mean absolute error by months "
    "extrapolated, per level; partitions miss by {backtest_partition_mae:.4f} on average.",
    "fig-roc": "Test ROC-AUC {test_auc:.3f} (95% {test_auc_lower:.3f} to {test_auc_upper:.3f}); "
    "the dotted diagonal is chance.",
    "fig-pr": "Precision against recall; the dotted line is the {test_base_rate:.0%} base rate, "
    "what a random ranking would give.",
    "fig-calibration": "Points on the dotted diagonal mean calibrated probabilities; ECE "
    "{test_ece:.3f}; {calibration_gap_sentence}.",
    "fig-lift": "Bars: lift by decile (top decile {test_top_decile_lift:.2f}); line: the share of "
    "quick churners caught by targeting the top deciles ({capture_top_3_deciles:.0%} in the top "
    "three).",
    "fig-score-distribution": "Boxes: predicted risk of every scored player by partition (medians "
    "{lowest_median_score:.0%} to {highest_median_score:.0%}). On the test cohorts, a black dot "
    "(the mean predicted probability) close to the red diamond (the observed rate) means the "
    "partition is calibrated.",
}


def bullets(templates: list[str], facts: Facts) -> list[str]:
    """The templates filled from the facts (a note in place of any that cannot be)."""
    return [facts.fill(template) for template in templates]


def markdown_bullets(templates: list[str], facts: Facts) -> str:
    """The filled templates as a markdown list."""
    return "".join(f"- {line}\n" for line in bullets(templates, facts))
