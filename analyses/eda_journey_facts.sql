-- The numbers the journey section quotes: registration-to-FTD and FTD-to-first-bet lags (the
-- buckets of eda_lags), the product mix, the share churned by product and the channels. Players
-- who deposited before the data window are left out of the lags, as in eda_lags. One row.
with

players as (
    select * from {{ ref('int_players') }}
    where not is_left_truncated
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

lags as (
    select
        avg(case when reg_date is not null then case when ftd_date = reg_date then 1.0 else 0.0 end end)
            as reg_to_ftd_same_day,
        avg(case when reg_date is not null then case when ftd_date - reg_date > 30 then 1.0 else 0.0 end end)
            as reg_to_ftd_over_30,
        sum(case when ftd_date < reg_date then 1 else 0 end) as reg_to_ftd_negative,
        avg(case when qp_date = ftd_date then 1.0 else 0.0 end) as first_bet_same_day,
        avg(case when qp_date - ftd_date between 0 and 7 then 1.0 else 0.0 end) as first_bet_within_week,
        avg(case when qp_date is null then 1.0 else 0.0 end) as first_bet_never,
        sum(case when qp_date < ftd_date then 1 else 0 end) as first_bet_negative
    from players
),

products as (
    select
        product,
        count(*) as n_players,
        1.0 * count(*) / sum(count(*)) over () as share_players,
        avg(case when is_churned then 1.0 else 0.0 end) as share_churned
    from lifetimes
    group by product
),

channels as (
    select
        coalesce(ben_login_id, 'unknown') as ben_login_id,
        1.0 * count(*) / sum(count(*)) over () as share_players
    from lifetimes
    group by coalesce(ben_login_id, 'unknown')
),

product_facts as (
    select
        arg_max(product, n_players) as top_product,
        max(share_players) as top_product_share,
        string_agg(
            product || ' ' || cast(round(100 * share_players) as integer) || '%', ', '
            order by n_players desc, product asc
        ) as product_mix,
        arg_min(product, share_churned) as least_churned_product,
        min(share_churned) as least_churned_share,
        arg_max(product, share_churned) as most_churned_product,
        max(share_churned) as most_churned_share
    from products
),

channel_facts as (
    select
        count(*) as n_channels,
        arg_max(ben_login_id, share_players) as top_channel,
        max(share_players) as top_channel_share
    from channels
),

final as (
    select
        lags.*,
        product_facts.*,
        channel_facts.*
    from lags
    cross join product_facts
    cross join channel_facts
)

select * from final
