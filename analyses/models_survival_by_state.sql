-- Survival curves with 95% bands of the largest partner's six largest states (partitions), months
-- 0..60; is_extrapolated marks the months beyond the observed tenure (the tail model's part).
with

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

partners as (
    select
        partner_id,
        row_number() over (
            order by sum(n_players) desc, partner_id
        ) as partner_rank
    from (select distinct
        partner_id,
        geo,
        n_players
    from curves) as partitions
    group by partner_id
),

states as (
    select
        partner_id,
        geo,
        row_number() over (
            partition by partner_id
            order by n_players desc, geo asc
        ) as state_rank
    from (select distinct
        partner_id,
        geo,
        n_players
    from curves) as partitions
),

final as (
    select
        curves.partner_id,
        curves.geo,
        states.state_rank,
        curves.n_players,
        curves.month_number,
        curves.survival,
        curves.survival_lower,
        curves.survival_upper,
        curves.is_extrapolated,
        curves.method
    from curves
    inner join partners
        on curves.partner_id = partners.partner_id
    inner join states
        on curves.partner_id = states.partner_id
            and curves.geo = states.geo
    where partners.partner_rank = 1 and states.state_rank <= 6
)

select * from final
order by state_rank, month_number
