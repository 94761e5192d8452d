-- The numbers the gaps section quotes: inactive gaps closed by a return to activity, by length
-- against K, and the sports calendar (FTDs, the active rate of players not yet churned and the
-- churn spells that end in a reactivation, by calendar month). One row.
with

gaps as (
    select * from {{ ref('rpt_activity_gaps') }}
),

calendar as (
    select * from {{ ref('rpt_calendar_months') }}
),

export_window as (
    select * from {{ ref('int_export_window') }}
),

gap_totals as (
    select
        sum(gaps.n_closed_gaps) as n_closed_gaps,
        1.0 * sum(case when gaps.gap_months = 1 then gaps.n_closed_gaps else 0 end)
        / nullif(sum(gaps.n_closed_gaps), 0) as share_closed_gaps_one_month,
        sum(case when gaps.is_churn_length then gaps.n_closed_gaps else 0 end) as n_reactivation_gaps,
        1.0 * sum(case when gaps.is_churn_length then gaps.n_closed_gaps else 0 end)
        / nullif(sum(gaps.n_closed_gaps), 0) as share_closed_gaps_churn_length,
        sum(
            case
                when gaps.gap_months = export_window.churn_inactive_months - 1 then gaps.n_closed_gaps
                else 0
            end
        ) as n_gaps_k_minus_1,
        sum(
            case when gaps.gap_months = export_window.churn_inactive_months then gaps.n_closed_gaps else 0 end
        ) as n_gaps_k
    from gaps
    cross join export_window
),

calendar_ranked as (
    select
        monthname(make_date(2000, cast(calendar_month as integer), 1)) as month_name,
        n_ftds,
        active_rate,
        share_churn_starts_reactivated,
        row_number() over (
            order by active_rate asc nulls last, calendar_month asc
        ) as low_activity_rank,
        row_number() over (
            order by active_rate desc nulls last, calendar_month asc
        ) as high_activity_rank,
        row_number()
            over (
                order by share_churn_starts_reactivated asc nulls last, calendar_month asc
            )
            as low_reactivation_rank,
        row_number()
            over (
                order by share_churn_starts_reactivated desc nulls last, calendar_month asc
            )
            as high_reactivation_rank,
        row_number() over (
            order by n_ftds asc, calendar_month asc
        ) as low_ftd_rank,
        row_number() over (
            order by n_ftds desc, calendar_month asc
        ) as high_ftd_rank
    from calendar
),

calendar_extremes as (
    select
        max(case when low_activity_rank = 1 then month_name end) as low_activity_month,
        max(case when low_activity_rank = 1 then active_rate end) as low_activity_rate,
        max(case when high_activity_rank = 1 then month_name end) as high_activity_month,
        max(case when high_activity_rank = 1 then active_rate end) as high_activity_rate,
        max(case when high_reactivation_rank = 1 then month_name end) as high_reactivation_month,
        max(case when high_reactivation_rank = 1 then share_churn_starts_reactivated end)
            as high_reactivation_share,
        max(case when low_reactivation_rank = 1 then month_name end) as low_reactivation_month,
        max(case when low_reactivation_rank = 1 then share_churn_starts_reactivated end)
            as low_reactivation_share,
        max(case when high_ftd_rank = 1 then month_name end) as peak_ftd_calendar_month,
        max(case when low_ftd_rank = 1 then month_name end) as low_ftd_calendar_month,
        1.0 * max(n_ftds) / nullif(min(n_ftds), 0) as ftd_peak_to_low_ratio
    from calendar_ranked
),

final as (
    select
        gap_totals.*,
        calendar_extremes.*
    from gap_totals
    cross join calendar_extremes
)

select * from final
