-- Deposit, handle and NGR per active player-month: centre, tails and extremes.
with

amounts as (
    select * from {{ ref('rpt_player_month_amounts') }}
),

final as (
    select
        measure,
        count(*) as n_months,
        sum(case when amount = 0 then 1 else 0 end) as n_zero,
        avg(case when amount = 0 then 1.0 else 0.0 end) as share_zero,
        sum(case when amount < 0 then 1 else 0 end) as n_negative,
        min(amount) as min_amount,
        percentile_cont(0.01) within group (
            order by amount
        ) as p01,
        percentile_cont(0.10) within group (
            order by amount
        ) as p10,
        percentile_cont(0.50) within group (
            order by amount
        ) as p50,
        avg(amount) as mean_amount,
        percentile_cont(0.90) within group (
            order by amount
        ) as p90,
        percentile_cont(0.99) within group (
            order by amount
        ) as p99,
        percentile_cont(0.999) within group (
            order by amount
        ) as p999,
        max(amount) as max_amount,
        sum(amount) as total_amount
    from amounts
    group by measure
)

select * from final
order by measure
