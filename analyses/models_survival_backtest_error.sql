-- How far the tail models miss when they extrapolate: for each pooling level, backtest cutoff
-- and horizon (months past the longest tenure observed at the cutoff), the error of the
-- predicted survival against what the export later showed, over the groups of that level.
with

backtest_errors as (
    select * from {{ ref('rpt_survival_backtest_errors') }}
),

final as (
    select * from backtest_errors
)

select * from final
order by pooling_level, cutoff_offset_months, horizon_months
