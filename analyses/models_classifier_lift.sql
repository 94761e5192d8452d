-- Lift by decile of the default classifier on the test cohorts: decile 1 holds the 10% highest
-- probabilities; quick-churn rate, lift over the base rate and cumulative share of churners caught.
with

scores as (
    select * from {{ ref('churn_quick_scores') }}
    where data_split = 'test' and quick_churn_probability is not null
),

ranked as (
    select
        ntile(10) over (
            order by quick_churn_probability desc, player_id asc
        ) as decile,
        quick_churn_probability,
        case when is_quick_churn then 1 else 0 end as is_positive
    from scores
),

deciles as (
    select
        decile,
        count(*) as n_players,
        sum(is_positive) as n_quick_churners,
        avg(quick_churn_probability) as mean_probability,
        min(quick_churn_probability) as min_probability
    from ranked
    group by decile
),

final as (
    select
        decile,
        n_players,
        n_quick_churners,
        mean_probability,
        min_probability,
        1.0 * n_quick_churners / n_players as quick_churn_rate,
        (1.0 * n_quick_churners / n_players)
        / (1.0 * sum(n_quick_churners) over () / sum(n_players) over ()) as lift,
        1.0 * sum(n_quick_churners) over (
            order by decile
        ) / sum(n_quick_churners) over ()
            as cumulative_capture
    from deciles
)

select * from final
order by decile
