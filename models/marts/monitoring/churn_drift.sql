{#- Drift per data cutoff and partner: feature PSI and the newest cohorts' mean probability (from
    int_monitoring__feature_drift), and the share of the raw rows added since the previous
    cutoff that were quarantined, per reason, against its median over the trailing
    `monitoring_quarantine_trailing_cutoffs` cutoffs (a reason absent at a cutoff counts 0
    there). A partner changing its export format shows up here first. Incremental by
    data_cutoff, kept through --full-refresh unless var `monitoring_erase_history` is true. -#}
{{ config(
    materialized='incremental',
    unique_key='data_cutoff',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    full_refresh=(none if var('monitoring_erase_history') else false),
) }}
{#- Every threshold var is checked as a number before it reaches the SQL. -#}
{%- set trailing_cutoffs = number_var(
    'monitoring_quarantine_trailing_cutoffs', minimum=1, integer=true) -%}
{%- set min_trailing_cutoffs = number_var(
    'monitoring_quarantine_min_trailing_cutoffs', minimum=0, integer=true) -%}
{%- set quarantine_ratio = number_var('monitoring_quarantine_ratio', minimum=0) -%}
{%- set quarantine_min_rows = number_var(
    'monitoring_quarantine_min_rows', minimum=0, integer=true) -%}
{%- set quarantine_min_share = number_var(
    'monitoring_quarantine_min_share', minimum=0, maximum=1) -%}

with export_window as (

    select export_month as data_cutoff from {{ ref('int_export_window') }}

),

feature_drift as (

    select * from {{ ref('int_monitoring__feature_drift') }}

),

raw_counts as (

    select
        partner_id,
        n_raw_rows
    from {{ ref('dq_reconciliation') }}

),

quarantine_counts as (

    select
        {{ partner_or_missing('partner_id') }} as partner_id,
        reason_code,
        count(*) as n_rows
    from {{ ref('dq_quarantine') }}
    group by {{ partner_or_missing('partner_id') }}, reason_code

),

past_shares as (

    {% if is_incremental() -%}
    select data_cutoff, partner_id, subject as reason_code, n_current, n_reference, value
    from {{ this }}
    where metric = 'quarantine_share'
        and data_cutoff < (select data_cutoff from export_window)
    {%- else -%}
        select
            cast(null as date) as data_cutoff,
            cast(null as {{ dbt.type_string() }}) as partner_id,
            cast(null as {{ dbt.type_string() }}) as reason_code,
            cast(null as bigint) as n_current,
            cast(null as bigint) as n_reference,
            cast(null as double) as value
        where false
    {%- endif %}

),

past_cutoffs as (

    select
        data_cutoff,
        row_number() over (
            order by data_cutoff desc
        ) as cutoffs_back
    from (select distinct data_cutoff from past_shares) as distinct_cutoffs

),

trailing_cutoffs as (

    select data_cutoff from past_cutoffs
    where cutoffs_back <= {{ trailing_cutoffs }}

),

previous_counts as (

    select past_shares.*
    from past_shares
    inner join past_cutoffs
        on past_shares.data_cutoff = past_cutoffs.data_cutoff
    where past_cutoffs.cutoffs_back = 1

),

previous_raw as (

    select
        partner_id,
        max(n_reference) as n_raw_rows
    from previous_counts
    group by partner_id

),

share_keys as (

    select
        partner_id,
        reason_code
    from quarantine_counts
    union
    select
        partner_id,
        reason_code
    from past_shares

),

current_shares as (

    select
        share_keys.partner_id,
        share_keys.reason_code,
        coalesce(quarantine_counts.n_rows, 0) as n_quarantined_rows,
        coalesce(quarantine_counts.n_rows, 0) - coalesce(previous_counts.n_current, 0)
            as n_new_quarantined_rows,
        raw_counts.n_raw_rows,
        cast(
            coalesce(quarantine_counts.n_rows, 0) - coalesce(previous_counts.n_current, 0)
            as double
        )
        / nullif(raw_counts.n_raw_rows - coalesce(previous_raw.n_raw_rows, 0), 0)
            as new_row_share
    from share_keys
    inner join raw_counts
        on share_keys.partner_id = raw_counts.partner_id
    left join quarantine_counts
        on share_keys.partner_id = quarantine_counts.partner_id
            and share_keys.reason_code = quarantine_counts.reason_code
    left join previous_counts
        on share_keys.partner_id = previous_counts.partner_id
            and share_keys.reason_code = previous_counts.reason_code
    left join previous_raw
        on share_keys.partner_id = previous_raw.partner_id

),

trailing_medians as (

    select
        share_keys.partner_id,
        share_keys.reason_code,
        median(coalesce(past_shares.value, 0)) as trailing_median_share,
        count(*) as n_trailing_cutoffs
    from share_keys
    cross join trailing_cutoffs
    left join past_shares
        on share_keys.partner_id = past_shares.partner_id
            and share_keys.reason_code = past_shares.reason_code
            and trailing_cutoffs.data_cutoff = past_shares.data_cutoff
    group by share_keys.partner_id, share_keys.reason_code

),

quarantine_drift as (

    select
        export_window.data_cutoff,
        'quarantine_share' as metric,
        current_shares.partner_id,
        current_shares.reason_code as subject,
        cast(current_shares.n_quarantined_rows as bigint) as n_current,
        cast(current_shares.n_raw_rows as bigint) as n_reference,
        current_shares.new_row_share as value,
        trailing_medians.trailing_median_share as reference_value,
        cast({{ quarantine_ratio }} as double) as threshold,
        current_shares.n_new_quarantined_rows >= {{ quarantine_min_rows }}
            as has_enough_players,
        coalesce(
            trailing_medians.n_trailing_cutoffs >= {{ min_trailing_cutoffs }}
            and current_shares.new_row_share >= {{ quarantine_min_share }}
            and current_shares.n_new_quarantined_rows >= {{ quarantine_min_rows }}
            and current_shares.new_row_share
            > {{ quarantine_ratio }} * trailing_medians.trailing_median_share,
            false
        ) as is_alert,
        cast(null as {{ dbt.type_string() }}) as reference_model_version
    from current_shares
    cross join export_window
    left join trailing_medians
        on current_shares.partner_id = trailing_medians.partner_id
            and current_shares.reason_code = trailing_medians.reason_code

),

final as (

    -- Typed here: a Python frame whose column is all null has no type.
    select
        cast(data_cutoff as date) as data_cutoff,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(partner_id as {{ dbt.type_string() }}) as partner_id,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(n_current as bigint) as n_current,
        cast(n_reference as bigint) as n_reference,
        cast(value as double) as value,
        cast(reference_value as double) as reference_value,
        cast(threshold as double) as threshold,
        cast(has_enough_players as boolean) as has_enough_players,
        cast(is_alert as boolean) as is_alert,
        cast(reference_model_version as {{ dbt.type_string() }}) as reference_model_version
    from feature_drift
    union all
    select * from quarantine_drift

)

select * from final
