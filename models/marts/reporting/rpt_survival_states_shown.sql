-- The states the survival-by-state figure shows: the six largest partitions of the largest
-- partner (by players), with how far each is observed before the tail model takes over.
with

summary as (
    select * from {{ ref('churn_survival_summary') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

partners as (
    select
        partner_id,
        row_number() over (
            order by sum(n_players) desc, partner_id asc
        ) as partner_rank
    from summary
    group by partner_id
),

states as (
    select
        partner_id,
        geo,
        n_players,
        row_number() over (
            partition by partner_id
            order by n_players desc, geo asc
        ) as state_rank
    from summary
),

observed as (
    select
        partner_id,
        geo,
        max(case when not is_extrapolated then month_number end) as last_observed_month
    from curves
    group by partner_id, geo
),

final as (
    select
        states.partner_id,
        states.geo,
        states.state_rank,
        states.n_players,
        observed.last_observed_month
    from states
    inner join partners
        on states.partner_id = partners.partner_id
    inner join observed
        on states.partner_id = observed.partner_id
            and states.geo = observed.geo
    where partners.partner_rank = 1 and states.state_rank <= 6
)

select * from final
