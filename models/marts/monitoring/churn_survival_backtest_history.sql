{#- The served tail's backtest error per survival group at every data cutoff, so drift of
    the tails shows month by month. Incremental by data_cutoff (kept through --full-refresh
    unless var `monitoring_erase_history` is true). -#}
{{ config(
    materialized='incremental',
    unique_key='data_cutoff',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=(none if var('monitoring_erase_history') else false),
) }}

with fits as (

    select * from {{ ref('churn_survival_fits') }}
    where is_chosen

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

final as (

    select
        export_window.export_month as data_cutoff,
        fits.pooling_level,
        fits.partner_id,
        fits.geo,
        fits.model,
        fits.n_events,
        fits.served_backtest_mae as backtest_mae,
        fits.served_backtest_rmse as backtest_rmse,
        fits.n_backtest_months
    from fits
    cross join export_window

)

select * from final
