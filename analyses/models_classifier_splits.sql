-- The default classifier on each out-of-time split (FTD cohorts, oldest to latest): size, base
-- rate, AUC, calibration. Training metrics are in-sample; calibration metrics in-sample for the
-- calibration step; test metrics are the honest ones.
with

evaluation as (
    select * from {{ ref('churn_classifier_evaluation') }}
    where is_default and slice_type = 'overall'
),

labels as (
    select
        data_split,
        min(ftd_month) as first_ftd_month,
        max(ftd_month) as last_ftd_month,
        max(quick_churn_months) as quick_churn_months
    from {{ ref('int_classifier__labels') }}
    group by data_split
),

final as (
    select
        evaluation.data_split,
        labels.first_ftd_month,
        labels.last_ftd_month,
        labels.quick_churn_months,
        evaluation.n_players,
        evaluation.base_rate,
        evaluation.mean_probability,
        evaluation.roc_auc,
        evaluation.pr_auc,
        evaluation.brier_score,
        evaluation.expected_calibration_error,
        evaluation.calibration_slope
    from evaluation
    inner join labels
        on evaluation.data_split = labels.data_split
)

select * from final
order by first_ftd_month
