-- The default classifier on each evaluation split: `cv` (pooled out-of-fold scores of the
-- rolling-origin folds inside the train cohorts, which chose it) and `test` (fitted on the train
-- cohorts, scored on the test cohorts after the label-maturation gap): cohorts, size, base rate,
-- AUC, calibration. The served model is refitted on every labelled cohort afterwards.
with

evaluation as (
    select * from {{ ref('churn_classifier_evaluation') }}
    where is_default and slice_type = 'overall'
),

labels as (
    select max(quick_churn_months) as quick_churn_months
    from {{ ref('int_classifier__labels') }}
),

final as (
    select
        evaluation.data_split,
        evaluation.first_cohort as first_ftd_month,
        evaluation.last_cohort as last_ftd_month,
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
    cross join labels
)

select * from final
order by first_ftd_month
