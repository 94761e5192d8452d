{#- Every scored player at every data cutoff, with the version that served. Incremental by
    data_cutoff: rebuilding a month replaces that month's rows; `dbt build --full-refresh` keeps
    the history unless var `monitoring_erase_history` is true. -#}
{{ config(
    materialized='incremental',
    unique_key='data_cutoff',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=(none if var('monitoring_erase_history') else false),
) }}

with scores as (

    select * from {{ ref('churn_quick_scores') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

final as (

    select
        export_window.export_month as data_cutoff,
        scores.player_id,
        scores.partner_id,
        scores.geo,
        scores.ftd_month,
        cast(scores.model_version as {{ dbt.type_string() }}) as model_version,
        cast(scores.quick_churn_probability as double) as quick_churn_probability,
        cast(scores.risk_band as {{ dbt.type_string() }}) as risk_band,
        scores.is_label_known,
        cast(scores.is_quick_churn as boolean) as is_quick_churn,
        scores.data_split,
        cast(scores.served_by as {{ dbt.type_string() }}) as served_by
    from scores
    cross join export_window

)

select * from final
