-- The numbers the cohort section quotes: retention of the FTD cohorts at months 1 to 24 (over
-- the cohorts observed that long), active months per player, and where the players stand at the
-- export month. Retention and active months leave out the players who deposited before the data
-- window. One row.
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

retention as (
    select
        avg(case when panel.months_active = 1 then case when panel.is_active then 1.0 else 0.0 end end)
            as retention_1,
        avg(case when panel.months_active = 3 then case when panel.is_active then 1.0 else 0.0 end end)
            as retention_3,
        avg(case when panel.months_active = 12 then case when panel.is_active then 1.0 else 0.0 end end)
            as retention_12,
        avg(case when panel.months_active = 24 then case when panel.is_active then 1.0 else 0.0 end end)
            as retention_24
    from panel
    inner join lifetimes
        on panel.player_id = lifetimes.player_id
    where not lifetimes.is_left_truncated
),

active_months as (
    select
        avg(case when active_months = 1 then 1.0 else 0.0 end) as share_one_active_month,
        avg(case when active_months <= 3 then 1.0 else 0.0 end) as share_under_4_active_months,
        quantile_disc(active_months, 0.5) as median_active_months
    from lifetimes
    where not is_left_truncated
),

outcomes as (
    select
        avg(case when not is_churned and last_active_month = followup_months then 1.0 else 0.0 end)
            as share_censored_active,
        avg(case when not is_churned and last_active_month < followup_months then 1.0 else 0.0 end)
            as share_censored_lapsing,
        avg(case when not is_churned then 1.0 * followup_months end) as mean_followup_censored,
        avg(case when is_churned then 1.0 * followup_months end) as mean_followup_churned
    from lifetimes
),

final as (
    select
        retention.*,
        active_months.*,
        outcomes.*
    from retention
    cross join active_months
    cross join outcomes
)

select * from final
