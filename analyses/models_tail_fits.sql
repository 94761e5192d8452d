-- Tail models: per pooling level and candidate, how many groups it was fitted for, chosen for,
-- and its median backtest error on the extrapolated months; groups using a parent's tail.
with

tail_fits as (
    select * from {{ ref('rpt_tail_fits') }}
),

final as (
    select * from tail_fits
)

select * from final
order by case pooling_level when 'all' then 0 when 'partner' then 1 else 2 end, model
