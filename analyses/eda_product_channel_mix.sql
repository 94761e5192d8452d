-- Product and channel (our referring brand) mix: players, their share of all players, of their
-- channel (the product mix within a channel) and of their product, the churn seen so far and the
-- NGR they bring.
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

final as (
    select
        product,
        coalesce(ben_login_id, 'unknown') as ben_login_id,
        count(*) as n_players,
        1.0 * count(*) / sum(count(*)) over () as share_players,
        1.0 * count(*) / sum(count(*)) over (partition by coalesce(ben_login_id, 'unknown'))
            as share_of_channel,
        1.0 * count(*) / sum(count(*)) over (partition by product) as share_of_product,
        sum(count(*)) over (partition by coalesce(ben_login_id, 'unknown')) as n_channel_players,
        sum(count(*)) over (partition by product) as n_product_players,
        1.0 * sum(case when is_churned then 1 else 0 end) / count(*) as share_churned,
        avg(1.0 * active_months) as mean_active_months,
        sum(observed_ngr) as total_ngr
    from lifetimes
    group by product, coalesce(ben_login_id, 'unknown')
)

select * from final
order by product, ben_login_id
