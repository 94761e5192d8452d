-- Survival curves with 95% bands of the largest partner's six largest states (partitions), months
-- 0..60; is_extrapolated marks the months beyond the observed tenure (the tail model's part).
with

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

states_shown as (
    select * from {{ ref('rpt_survival_states_shown') }}
),

final as (
    select
        curves.partner_id,
        curves.geo,
        states_shown.state_rank,
        curves.n_players,
        states_shown.last_observed_month,
        curves.month_number,
        curves.survival,
        curves.survival_lower,
        curves.survival_upper,
        curves.is_extrapolated,
        curves.method
    from curves
    inner join states_shown
        on curves.partner_id = states_shown.partner_id
            and curves.geo = states_shown.geo
)

select * from final
order by state_rank, month_number
