-- Quick-churn probability by partition: quartiles and 10th / 90th percentiles over every scored
-- player, the share in the two top risk bands, the recent (unlabelled) players' mean and the
-- mean predicted probability and the observed rate on the test cohorts (the pair calibration
-- compares), with the sub-model that serves the partition.
with

scores as (
    select * from {{ ref('churn_quick_scores') }}
    where quick_churn_probability is not null
),

final as (
    select
        partner_id,
        geo,
        count(*) as n_players,
        sum(case when data_split = 'unlabelled' then 1 else 0 end) as n_unlabelled,
        percentile_cont(0.10) within group (
            order by quick_churn_probability
        ) as p10,
        percentile_cont(0.25) within group (
            order by quick_churn_probability
        ) as p25,
        percentile_cont(0.50) within group (
            order by quick_churn_probability
        ) as p50,
        percentile_cont(0.75) within group (
            order by quick_churn_probability
        ) as p75,
        percentile_cont(0.90) within group (
            order by quick_churn_probability
        ) as p90,
        avg(case when risk_band in ('high', 'very_high') then 1.0 else 0.0 end) as share_high_risk,
        avg(case when data_split = 'unlabelled' then quick_churn_probability end)
            as mean_probability_unlabelled,
        avg(case when data_split = 'test' then quick_churn_probability end)
            as mean_probability_test,
        avg(case when data_split = 'test' then case when is_quick_churn then 1.0 else 0.0 end end)
            as observed_rate_test,
        min(served_by) as served_by
    from scores
    group by partner_id, geo
)

select * from final
