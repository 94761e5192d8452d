-- How far the tail models miss when they extrapolate: for each pooling level, backtest cutoff
-- and horizon (months past the longest tenure observed at the cutoff), the error of the
-- predicted survival against what the export later showed, over the groups of that level.
with

backtest as (
    select * from {{ ref('churn_survival_backtest') }}
),

with_horizon as (
    select
        pooling_level,
        partner_id,
        geo,
        cutoff_offset_months,
        is_extrapolated,
        predicted_survival - realised_survival as error,
        month_number - max(case when not is_extrapolated then month_number end) over (
            partition by pooling_level, partner_id, geo, cutoff_offset_months
        ) as horizon_months
    from backtest
),

final as (
    select
        pooling_level,
        cutoff_offset_months,
        horizon_months,
        count(*) as n_groups,
        avg(error) as mean_error,
        avg(abs(error)) as mean_absolute_error,
        max(abs(error)) as max_absolute_error
    from with_horizon
    where is_extrapolated and error is not null
    group by pooling_level, cutoff_offset_months, horizon_months
)

select * from final
