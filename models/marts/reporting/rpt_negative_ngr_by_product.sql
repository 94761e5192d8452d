-- Negative NGR (the player won, or bonuses exceeded the operator's win) by product: share of
-- active months and of players over their observed months, and the NGR they sum to.
with

panel as (
    select * from {{ ref('fct_player_months') }}
    where is_active
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

months as (
    select
        lifetimes.product,
        count(*) as n_active_months,
        sum(case when panel.total_ngr < 0 then 1 else 0 end) as n_negative_months,
        sum(case when panel.months_active = 0 then 1 else 0 end) as n_ftd_months,
        sum(case when panel.months_active = 0 and panel.total_ngr < 0 then 1 else 0 end)
            as n_negative_ftd_months
    from panel
    inner join lifetimes
        on panel.player_id = lifetimes.player_id
    group by lifetimes.product
),

players as (
    select
        product,
        count(*) as n_players,
        sum(case when observed_ngr < 0 then 1 else 0 end) as n_negative_players,
        sum(observed_ngr) as total_ngr
    from lifetimes
    group by product
),

final as (
    select
        players.product,
        players.n_players,
        months.n_active_months,
        1.0 * months.n_negative_months / nullif(months.n_active_months, 0) as share_negative_months,
        1.0 * months.n_negative_ftd_months / nullif(months.n_ftd_months, 0)
            as share_negative_ftd_months,
        1.0 * players.n_negative_players / nullif(players.n_players, 0) as share_negative_players,
        players.total_ngr
    from players
    inner join months
        on players.product = months.product
)

select * from final
