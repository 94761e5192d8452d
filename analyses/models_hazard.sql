-- Monthly churn hazard by months since the FTD, over all partners and per partner: the pooled
-- hazard of the curves and the raw events / at risk behind it.
with

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level in ('all', 'partner') and segment_type = 'all'
),

final as (
    select
        case when pooling_level = 'all' then 'all partners' else partner_id end as curve,
        month_number,
        hazard,
        1.0 * n_events / nullif(n_at_risk, 0) as raw_hazard,
        n_at_risk,
        n_events,
        is_extrapolated
    from curves
    where month_number >= 1
)

select * from final
order by curve, month_number
