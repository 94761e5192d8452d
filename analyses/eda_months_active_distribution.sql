-- How many months players are active, and their survival time T split by churned and censored;
-- 24 stands for 24 months or more (the figure's last bar).
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
    where not is_left_truncated
),

by_active_months as (
    select
        least(active_months, 24) as n_months,
        count(*) as n_players_by_active_months
    from lifetimes
    group by least(active_months, 24)
),

by_survival_months as (
    select
        least(duration_months, 24) as n_months,
        sum(case when is_churned then 1 else 0 end) as n_churned_at_t,
        sum(case when not is_churned then 1 else 0 end) as n_censored_at_t
    from lifetimes
    group by least(duration_months, 24)
),

final as (
    select
        coalesce(by_active_months.n_months, by_survival_months.n_months) as n_months,
        coalesce(by_active_months.n_players_by_active_months, 0) as n_players_by_active_months,
        coalesce(by_survival_months.n_churned_at_t, 0) as n_churned_at_t,
        coalesce(by_survival_months.n_censored_at_t, 0) as n_censored_at_t
    from by_active_months
    full outer join by_survival_months
        on by_active_months.n_months = by_survival_months.n_months
)

select * from final
order by n_months
