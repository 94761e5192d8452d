-- The numbers an analyst quotes, per partner and over all partners: S(12), S(24), S(60),
-- expected active months in the first 12 and 60, how far the data reaches and the tail model.
with

summary as (
    select * from {{ ref('churn_survival_summary') }}
    where pooling_level in ('all', 'partner') and segment_type = 'all'
),

final as (
    select
        case when pooling_level = 'all' then 'all partners' else partner_id end as curve,
        n_players,
        last_observed_month,
        survival_12,
        survival_24,
        survival_60,
        restricted_mean_months_12,
        restricted_mean_months_60,
        tail_method,
        mean_pooling_weight_first_year
    from summary
)

select * from final
order by case when curve = 'all partners' then 0 else 1 end, curve
