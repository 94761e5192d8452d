-- Calibration of the default classifier on the test cohorts: ten equal-width probability bins,
-- mean predicted probability vs observed quick-churn rate with a Wilson 95% interval.
with

scores as (
    select * from {{ ref('churn_quick_scores') }}
    where data_split = 'test' and quick_churn_probability is not null
),

binned as (
    select
        least(floor(quick_churn_probability * 10), 9) as probability_bin,
        count(*) as n_players,
        avg(quick_churn_probability) as mean_probability,
        avg(case when is_quick_churn then 1.0 else 0.0 end) as observed_rate
    from scores
    group by least(floor(quick_churn_probability * 10), 9)
),

wilson as (
    select
        *,
        (
            observed_rate + 1.96 * 1.96 / (2 * n_players)
            - 1.96
            * sqrt(
                observed_rate * (1 - observed_rate) / n_players + 1.96 * 1.96 / (4 * n_players * n_players)
            )
        )
        / (1 + 1.96 * 1.96 / n_players) as wilson_lower,
        (
            observed_rate + 1.96 * 1.96 / (2 * n_players)
            + 1.96
            * sqrt(
                observed_rate * (1 - observed_rate) / n_players + 1.96 * 1.96 / (4 * n_players * n_players)
            )
        )
        / (1 + 1.96 * 1.96 / n_players) as wilson_upper
    from binned
),

-- The interval always holds the rate: at a rate of 0 or 1 rounding can put a bound a hair past it.
final as (
    select
        probability_bin / 10.0 as bin_lower,
        (probability_bin + 1) / 10.0 as bin_upper,
        n_players,
        mean_probability,
        observed_rate,
        least(wilson_lower, observed_rate) as observed_lower,
        greatest(wilson_upper, observed_rate) as observed_upper
    from wilson
)

select * from final
