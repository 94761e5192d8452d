-- Histogram of deposit, handle and NGR per active player-month on a log scale: bins of a quarter
-- decade of the absolute amount, NGR split by sign (negative = the player won).
with

amounts as (
    select * from {{ ref('rpt_player_month_amounts') }}
),

binned as (
    select
        measure,
        case when amount < 0 then 'negative' else 'positive' end as sign,
        floor(4 * log10(abs(amount))) / 4.0 as log10_lower
    from amounts
    where abs(amount) >= 0.01
),

final as (
    select
        measure,
        sign,
        log10_lower,
        count(*) as n_months
    from binned
    group by measure, sign, log10_lower
)

select * from final
order by measure, sign, log10_lower
