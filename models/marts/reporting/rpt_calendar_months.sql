-- The sports calendar by calendar month: FTDs, the active rate of players not (yet) churned, and
-- churn spells starting that month with the share that later end in a reactivation. A high
-- reactivation share means the K-month inactivity rule calls seasonal breaks churn.
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

reactivations as (
    select
        player_id,
        churn_spell_number
    from panel
    where is_reactivation
),

monthly as (
    select
        extract(month from panel.activity_month) as calendar_month,
        sum(case when panel.activity_status <> 'churned' and panel.months_active > 0 then 1 else 0 end)
            as n_not_churned_months,
        sum(case when panel.is_active and panel.months_active > 0 then 1 else 0 end) as n_active_months,
        sum(case when panel.is_churn_start then 1 else 0 end) as n_churn_starts,
        sum(case when panel.is_churn_start and reactivations.player_id is not null then 1 else 0 end)
            as n_churn_starts_reactivated
    from panel
    left join reactivations
        on panel.player_id = reactivations.player_id
            and panel.churn_spell_number = reactivations.churn_spell_number
            and panel.is_churn_start
    group by extract(month from panel.activity_month)
),

ftds as (
    select
        extract(month from ftd_month) as calendar_month,
        count(*) as n_ftds
    from lifetimes
    where not is_left_truncated
    group by extract(month from ftd_month)
),

final as (
    select
        monthly.calendar_month,
        coalesce(ftds.n_ftds, 0) as n_ftds,
        monthly.n_not_churned_months,
        monthly.n_active_months,
        1.0 * monthly.n_active_months / nullif(monthly.n_not_churned_months, 0) as active_rate,
        monthly.n_churn_starts,
        monthly.n_churn_starts_reactivated,
        1.0 * monthly.n_churn_starts_reactivated / nullif(monthly.n_churn_starts, 0)
            as share_churn_starts_reactivated
    from monthly
    left join ftds
        on monthly.calendar_month = ftds.calendar_month
)

select * from final
