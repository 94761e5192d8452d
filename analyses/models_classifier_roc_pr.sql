-- ROC and precision-recall curves of the default classifier on the test cohorts: for each
-- distinct probability taken as the threshold, the rates of players at or above it.
with

scores as (
    select * from {{ ref('churn_quick_scores') }}
    where data_split = 'test' and quick_churn_probability is not null
),

by_threshold as (
    select
        quick_churn_probability as threshold,
        sum(case when is_quick_churn then 1 else 0 end) as n_positive,
        sum(case when is_quick_churn then 0 else 1 end) as n_negative
    from scores
    group by quick_churn_probability
),

cumulative as (
    select
        threshold,
        sum(n_positive) over (
            order by threshold desc
        ) as true_positives,
        sum(n_negative) over (
            order by threshold desc
        ) as false_positives,
        sum(n_positive) over () as positives,
        sum(n_negative) over () as negatives
    from by_threshold
),

final as (
    select
        threshold,
        1.0 * true_positives / nullif(positives, 0) as true_positive_rate,
        1.0 * false_positives / nullif(negatives, 0) as false_positive_rate,
        1.0 * true_positives / (true_positives + false_positives) as precision,
        1.0 * positives / (positives + negatives) as base_rate
    from cumulative
)

select * from final
order by threshold desc
