{#- Retrospective and prospective classifier metrics per data cutoff (computed in
    int_monitoring__metrics). Incremental by data_cutoff, kept through --full-refresh unless var
    `monitoring_erase_history` is true. -#}
{{ config(
    materialized='incremental',
    unique_key='data_cutoff',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=(none if var('monitoring_erase_history') else false),
) }}

with metrics as (

    select * from {{ ref('int_monitoring__metrics') }}

),

final as (

    -- Typed here: a Python frame whose column is all null (no prospective row yet) has no type.
    select
        cast(data_cutoff as date) as data_cutoff,
        cast(evaluation_type as {{ dbt.type_string() }}) as evaluation_type,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(partner_id as {{ dbt.type_string() }}) as partner_id,
        cast(ftd_month as date) as ftd_month,
        cast(scored_at_cutoff as date) as scored_at_cutoff,
        cast(n_players as bigint) as n_players,
        cast(n_quick_churners as bigint) as n_quick_churners,
        cast(base_rate as double) as base_rate,
        cast(mean_probability as double) as mean_probability,
        cast(calibration_in_the_large as double) as calibration_in_the_large,
        cast(calibration_in_the_large_sd as double) as calibration_in_the_large_sd,
        cast(roc_auc as double) as roc_auc,
        cast(roc_auc_lower as double) as roc_auc_lower,
        cast(roc_auc_upper as double) as roc_auc_upper,
        cast(expected_calibration_error as double) as expected_calibration_error,
        cast(calibration_slope as double) as calibration_slope,
        cast(retrospective_roc_auc as double) as retrospective_roc_auc,
        cast(retrospective_roc_auc_lower as double) as retrospective_roc_auc_lower,
        cast(retrospective_roc_auc_upper as double) as retrospective_roc_auc_upper,
        cast(retrospective_cohort_roc_auc_lower as double) as retrospective_cohort_roc_auc_lower,
        cast(retrospective_cohort_roc_auc_upper as double) as retrospective_cohort_roc_auc_upper,
        cast(is_auc_below_retrospective as boolean) as is_auc_below_retrospective,
        cast(is_calibration_off as boolean) as is_calibration_off
    from metrics

)

select * from final
