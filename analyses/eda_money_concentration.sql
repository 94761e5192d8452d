-- Whales: the share of all deposits, handle and NGR brought by the top 1%, 5% and 10% of players
-- (ranked by each measure over their observed months), and the share of players whose lifetime
-- NGR is negative.
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

amounts as (
    select
        'deposit' as measure,
        player_id,
        observed_deposit as amount
    from lifetimes
    union all
    select
        'handle' as measure,
        player_id,
        observed_handle as amount
    from lifetimes
    union all
    select
        'ngr' as measure,
        player_id,
        observed_ngr as amount
    from lifetimes
),

ranked as (
    select
        measure,
        amount,
        row_number() over (
            partition by measure
            order by amount desc, player_id asc
        ) as amount_rank,
        count(*) over (partition by measure) as n_players,
        sum(amount) over (partition by measure) as total_amount
    from amounts
),

final as (
    select
        measure,
        max(n_players) as n_players,
        max(total_amount) as total_amount,
        sum(case when amount_rank <= 0.01 * n_players then amount else 0 end) / max(total_amount)
            as share_top_1pct,
        sum(case when amount_rank <= 0.05 * n_players then amount else 0 end) / max(total_amount)
            as share_top_5pct,
        sum(case when amount_rank <= 0.10 * n_players then amount else 0 end) / max(total_amount)
            as share_top_10pct,
        1.0 * sum(case when amount < 0 then 1 else 0 end) / max(n_players) as share_players_negative
    from ranked
    group by measure
)

select * from final
order by measure
