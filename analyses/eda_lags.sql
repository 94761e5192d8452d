-- Days from registration to the first deposit and from the first deposit to the first cash bet,
-- in buckets; negative lags are data problems (flagged), `no first bet` a player who never bet.
with

players as (
    select * from {{ ref('int_players') }}
    where not is_left_truncated
),

lags as (
    select
        'reg_to_ftd' as lag_type,
        ftd_date - reg_date as lag_days
    from players
    where reg_date is not null
    union all
    select
        'ftd_to_first_bet' as lag_type,
        qp_date - ftd_date as lag_days
    from players
),

bucketed as (
    select
        lag_type,
        case
            when lag_days is null then 8
            when lag_days < 0 then 0
            when lag_days = 0 then 1
            when lag_days <= 3 then 2
            when lag_days <= 7 then 3
            when lag_days <= 30 then 4
            when lag_days <= 90 then 5
            when lag_days <= 365 then 6
            else 7
        end as bucket_order
    from lags
),

final as (
    select
        lag_type,
        bucket_order,
        case bucket_order
            when 0 then 'negative'
            when 1 then 'same day'
            when 2 then '1-3 days'
            when 3 then '4-7 days'
            when 4 then '8-30 days'
            when 5 then '31-90 days'
            when 6 then '91-365 days'
            when 7 then 'over a year'
            else 'no first bet'
        end as bucket,
        count(*) as n_players,
        1.0 * count(*) / sum(count(*)) over (partition by lag_type) as share_players
    from bucketed
    group by lag_type, bucket_order
)

select * from final
order by lag_type desc, bucket_order asc
