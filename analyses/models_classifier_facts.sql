-- The numbers the classifier sections quote beyond the default model's own row: the candidates,
-- the boosted model's and the best finer grain's AUC gains with whether their intervals clear
-- zero, the calibration bins' largest gap, the unlabelled players and the partitions' median
-- scores. One row.
with

evaluation as (
    select * from {{ ref('churn_classifier_evaluation') }}
    where data_split = 'test' and slice_type = 'overall'
),

calibration_bins as (
    select * from {{ ref('rpt_calibration_bins') }}
),

partition_scores as (
    select * from {{ ref('rpt_partition_scores') }}
),

candidates as (
    select
        count(*) as n_candidates,
        max(case when model_name = 'boosted_global' then roc_auc end) as boosted_auc,
        max(case when model_name = 'boosted_global' then roc_auc_gain_vs_logistic end) as boosted_gain,
        max(case when model_name = 'boosted_global' then roc_auc_gain_vs_logistic_lower end)
            as boosted_gain_lower,
        max(case when model_name = 'boosted_global' then roc_auc_gain_vs_logistic_upper end)
            as boosted_gain_upper,
        max(case when model_name = 'boosted_global' then roc_auc_gain_vs_logistic_lower > 0 end)
            as is_boosted_gain_above_zero
    from evaluation
),

finer as (
    select
        arg_max(model_name, roc_auc_gain_vs_global) as best_finer_model,
        max(roc_auc_gain_vs_global) as best_finer_gain,
        arg_max(roc_auc_gain_vs_global_lower, roc_auc_gain_vs_global) as best_finer_gain_lower,
        arg_max(roc_auc_gain_vs_global_upper, roc_auc_gain_vs_global) as best_finer_gain_upper,
        arg_max(roc_auc_gain_vs_global_lower, roc_auc_gain_vs_global) > 0 as is_finer_gain_above_zero,
        arg_max(n_submodels, roc_auc_gain_vs_global) as best_finer_submodels
    from evaluation
    where grain in ('partner', 'partition')
),

calibration as (
    select
        count(*) > 0 as has_calibration_bins_of_100,
        max(abs(observed_rate - mean_probability)) as max_calibration_gap
    from calibration_bins
    where n_players >= 100
),

scores as (
    select
        count(*) as n_scored_partitions,
        sum(n_unlabelled) as n_unlabelled,
        arg_min(partner_id || ' x ' || geo, p50) as lowest_median_partition,
        min(p50) as lowest_median_score,
        arg_max(partner_id || ' x ' || geo, p50) as highest_median_partition,
        max(p50) as highest_median_score,
        string_agg(
            distinct split_part(served_by, '=', 1), ', '
            order by split_part(served_by, '=', 1))
            as served_by
    from partition_scores
),

final as (
    select
        candidates.*,
        finer.*,
        calibration.*,
        scores.*
    from candidates
    cross join finer
    cross join calibration
    cross join scores
)

select * from final
