{#- A view: the money reports read it once per build; a table would copy the panel three times. -#}
{{ config(materialized='view') }}

with

panel as (
    select * from {{ ref('fct_player_months') }}
    where is_active
),

final as (
    select
        'deposit' as measure,
        total_deposit as amount
    from panel
    union all
    select
        'handle' as measure,
        total_handle as amount
    from panel
    union all
    select
        'ngr' as measure,
        total_ngr as amount
    from panel
)

select * from final
