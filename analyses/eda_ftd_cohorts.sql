-- FTD cohorts: for each FTD month and months_active, the share of the cohort active that month.
-- Players who deposited before the data window are left out (their early months are unseen).
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

cohorts as (
    select
        ftd_month,
        count(*) as cohort_size
    from lifetimes
    where not is_left_truncated
    group by ftd_month
),

activity as (
    select
        panel.ftd_month,
        panel.months_active,
        sum(case when panel.is_active then 1 else 0 end) as n_active
    from panel
    inner join lifetimes
        on panel.player_id = lifetimes.player_id
    where not lifetimes.is_left_truncated
    group by panel.ftd_month, panel.months_active
),

final as (
    select
        activity.ftd_month,
        activity.months_active,
        cohorts.cohort_size,
        activity.n_active,
        1.0 * activity.n_active / cohorts.cohort_size as share_active
    from activity
    inner join cohorts
        on activity.ftd_month = cohorts.ftd_month
)

select * from final
order by ftd_month, months_active
