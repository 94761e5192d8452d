{#- Retrospective and prospective classifier metrics per data cutoff (computed in
    int_monitoring__metrics). Incremental by data_cutoff, kept through --full-refresh unless var
    `monitoring_erase_history` is true. -#}
{{ config(
    materialized='incremental',
    unique_key='data_cutoff',
    incremental_strategy='delete+insert',
    full_refresh=(none if var('monitoring_erase_history') else false),
) }}

with metrics as (

    select * from {{ ref('int_monitoring__metrics') }}

),

final as (

    select * from metrics

)

select * from final
