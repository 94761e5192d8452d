-- Where each player stands at the export month: churn seen, or right-censored (active in the
-- export month, or inactive for fewer than K months: outcome unknown), with late entry.
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

final as (
    select
        case
            when is_churned then 'churned'
            when last_active_month = followup_months then 'censored: active in the export month'
            else 'censored: lapsing, fewer than K inactive months'
        end as outcome,
        is_left_truncated,
        count(*) as n_players,
        1.0 * count(*) / sum(count(*)) over () as share_players,
        avg(1.0 * followup_months) as mean_followup_months,
        avg(1.0 * duration_months) as mean_survival_months
    from lifetimes
    group by outcome, is_left_truncated
)

select * from final
order by outcome, is_left_truncated
