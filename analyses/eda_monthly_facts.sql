-- The numbers the overview quotes about growth over calendar months, all partners together:
-- mean active players and FTDs a month in the first and the last year of data, and the peaks.
-- One row.
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

activity as (
    select
        activity_month,
        sum(case when is_active then 1 else 0 end) as n_active_players
    from panel
    group by activity_month
),

ftds as (
    select
        ftd_month as activity_month,
        count(*) as n_ftds
    from lifetimes
    where not is_left_truncated
    group by ftd_month
),

monthly as (
    select
        activity.activity_month,
        activity.n_active_players,
        coalesce(ftds.n_ftds, 0) as n_ftds,
        row_number() over (order by activity.activity_month asc) as month_from_start,
        row_number() over (order by activity.activity_month desc) as month_from_end,
        row_number() over (
            order by activity.n_active_players desc, activity.activity_month asc
        ) as active_rank,
        row_number() over (order by coalesce(ftds.n_ftds, 0) desc, activity.activity_month asc)
            as ftd_rank
    from activity
    left join ftds
        on activity.activity_month = ftds.activity_month
),

final as (
    select
        avg(case when month_from_start <= 12 then n_active_players end)
            as active_first_year_mean,
        avg(case when month_from_end <= 12 then n_active_players end)
            as active_last_year_mean,
        avg(case when month_from_start <= 12 then n_ftds end)
            as ftds_first_year_mean,
        avg(case when month_from_end <= 12 then n_ftds end)
            as ftds_last_year_mean,
        max(case when active_rank = 1 then activity_month end) as peak_active_month,
        max(n_active_players) as peak_active_players,
        max(case when ftd_rank = 1 then activity_month end) as peak_ftd_month,
        max(n_ftds) as peak_ftds
    from monthly
)

select * from final
