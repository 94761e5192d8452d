-- Survival curves with 95% bands over all partners and states, by registration product and for
-- everyone (segment `all`); is_extrapolated marks the tail model's months.
with

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level = 'all' and segment_type in ('all', 'product')
),

final as (
    select
        case when segment_type = 'all' then 'all players' else segment_value end as curve,
        n_players,
        month_number,
        survival,
        survival_lower,
        survival_upper,
        is_extrapolated,
        method
    from curves
)

select * from final
order by curve, month_number
