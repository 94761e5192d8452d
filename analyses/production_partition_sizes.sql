-- Partitions (partner x state) by size: how many there are, how much of its own data the survival
-- curve uses in the first year (empirical-Bayes pooling weight) and how many get a classifier
-- sub-model of their own rather than their partner's or the global one.
with

summary as (
    select * from {{ ref('churn_survival_summary') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

scores as (
    select * from {{ ref('churn_quick_scores') }}
),

served as (
    select
        partner_id,
        geo,
        max(case when served_by like 'partition=%' then 1 else 0 end) as has_own_classifier
    from scores
    group by partner_id, geo
),

banded as (
    select
        summary.partner_id,
        summary.geo,
        summary.n_players,
        summary.mean_pooling_weight_first_year,
        coalesce(served.has_own_classifier, 0) as has_own_classifier,
        case
            when summary.n_players < 300 then 1
            when summary.n_players < 1000 then 2
            when summary.n_players < 3000 then 3
            else 4
        end as band_order
    from summary
    left join served
        on summary.partner_id = served.partner_id
            and summary.geo = served.geo
),

final as (
    select
        band_order,
        case band_order
            when 1 then '0-299 players'
            when 2 then '300-999 players'
            when 3 then '1000-2999 players'
            else '3000+ players'
        end as size_band,
        count(*) as n_partitions,
        sum(n_players) as n_players,
        avg(mean_pooling_weight_first_year) as mean_pooling_weight_first_year,
        sum(has_own_classifier) as n_with_own_classifier
    from banded
    group by band_order
)

select * from final
order by band_order
