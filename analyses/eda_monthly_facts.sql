-- The numbers the overview quotes about growth over calendar months, all partners together
-- (from rpt_monthly_volumes): mean active players and FTDs a month in the first and the last
-- year of data, and the peaks (the earliest month on a tie). One row.
with

monthly_volumes as (
    select * from {{ ref('rpt_monthly_volumes') }}
),

monthly as (
    select
        activity_month,
        sum(n_active_players) as n_active_players,
        sum(n_ftds) as n_ftds
    from monthly_volumes
    group by activity_month
),

ranked as (
    select
        *,
        row_number() over (
            order by activity_month asc
        ) as month_from_start,
        row_number() over (
            order by activity_month desc
        ) as month_from_end,
        row_number() over (
            order by n_active_players desc, activity_month asc
        ) as active_rank,
        row_number() over (
            order by n_ftds desc, activity_month asc
        ) as ftd_rank
    from monthly
),

final as (
    select
        avg(case when month_from_start <= 12 then n_active_players end) as active_first_year_mean,
        avg(case when month_from_end <= 12 then n_active_players end) as active_last_year_mean,
        avg(case when month_from_start <= 12 then n_ftds end) as ftds_first_year_mean,
        avg(case when month_from_end <= 12 then n_ftds end) as ftds_last_year_mean,
        max(case when active_rank = 1 then activity_month end) as peak_active_month,
        max(n_active_players) as peak_active_players,
        max(case when ftd_rank = 1 then activity_month end) as peak_ftd_month,
        max(n_ftds) as peak_ftds
    from ranked
)

select * from final
