-- Inactive gaps between active months, by length: gaps that end with a return to activity
-- (skips shorter than K, reactivations after a churn spell of K or more) and gaps still open at
-- the export month. Players who deposited before the data window are left out.
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

export_window as (
    select * from {{ ref('int_export_window') }}
),

sequenced as (
    select
        panel.player_id,
        panel.activity_month,
        panel.is_active,
        panel.inactive_streak,
        lag(panel.inactive_streak) over (
            partition by panel.player_id
            order by panel.activity_month
        ) as previous_inactive_streak
    from panel
    inner join lifetimes
        on panel.player_id = lifetimes.player_id
    where not lifetimes.is_left_truncated
),

closed_gaps as (
    select
        previous_inactive_streak as gap_months,
        count(*) as n_closed_gaps
    from sequenced
    where is_active and previous_inactive_streak > 0
    group by previous_inactive_streak
),

open_gaps as (
    select
        sequenced.inactive_streak as gap_months,
        count(*) as n_open_gaps
    from sequenced
    inner join export_window
        on sequenced.activity_month = export_window.export_month
    where sequenced.inactive_streak > 0
    group by sequenced.inactive_streak
),

final as (
    select
        coalesce(closed_gaps.gap_months, open_gaps.gap_months) as gap_months,
        coalesce(closed_gaps.n_closed_gaps, 0) as n_closed_gaps,
        coalesce(open_gaps.n_open_gaps, 0) as n_open_gaps,
        coalesce(closed_gaps.gap_months, open_gaps.gap_months)
        >= (select export_window.churn_inactive_months from export_window) as is_churn_length
    from closed_gaps
    full outer join open_gaps
        on closed_gaps.gap_months = open_gaps.gap_months
)

select * from final
