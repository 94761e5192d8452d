-- The quick-churn classifier's candidates on the test cohorts (out of time), overall: ROC-AUC and
-- PR-AUC with bootstrap 95% intervals, calibration, lift, the paired AUC gains that decide the
-- default, and which one is the default.
with

evaluation as (
    select * from {{ ref('churn_classifier_evaluation') }}
),

final as (
    select
        model_name,
        algorithm,
        grain,
        is_default,
        n_submodels,
        n_players,
        n_quick_churners,
        base_rate,
        mean_probability,
        roc_auc,
        roc_auc_lower,
        roc_auc_upper,
        pr_auc,
        pr_auc_lower,
        pr_auc_upper,
        brier_score,
        log_loss,
        expected_calibration_error,
        calibration_slope,
        calibration_intercept,
        top_decile_lift,
        top_decile_capture,
        roc_auc_gain_vs_logistic,
        roc_auc_gain_vs_logistic_lower,
        roc_auc_gain_vs_logistic_upper,
        roc_auc_gain_vs_global,
        roc_auc_gain_vs_global_lower,
        roc_auc_gain_vs_global_upper,
        model_version,
        data_cutoff,
        status
    from evaluation
    where data_split = 'test' and slice_type = 'overall'
)

select * from final
order by is_default desc, algorithm desc, grain asc
