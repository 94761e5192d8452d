-- Tail models: per pooling level and candidate, how many groups it was fitted for, chosen for,
-- and its median backtest error on the extrapolated months; groups using a parent's tail.
with

fits as (
    select * from {{ ref('churn_survival_fits') }}
),

final as (
    select
        pooling_level,
        model,
        count(*) as n_groups,
        sum(case when status = 'ok' then 1 else 0 end) as n_fitted,
        sum(case when is_chosen then 1 else 0 end) as n_chosen,
        percentile_cont(0.5) within group (
            order by backtest_mae
        ) as median_backtest_mae
    from fits
    group by pooling_level, model
)

select * from final
