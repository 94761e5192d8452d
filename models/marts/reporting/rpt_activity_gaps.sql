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

followed as (
    -- Players whose first panel month is their FTD month: every gap lies between two active months
    -- or runs from the last one to the export month.
    select panel.*
    from panel
    inner join lifetimes
        on panel.player_id = lifetimes.player_id
    where not lifetimes.is_left_truncated
),

active_months as (
    -- The gap before each active month, from the active months alone (a window over a fraction of
    -- the dense panel).
    select
        months_active,
        lag(months_active) over (
            partition by player_id
            order by months_active
        ) as previous_active_month
    from followed
    where is_active
),

closed_gaps as (
    select
        months_active - previous_active_month - 1 as gap_months,
        count(*) as n_closed_gaps
    from active_months
    where months_active - previous_active_month - 1 > 0
    group by months_active - previous_active_month - 1
),

open_gaps as (
    select
        followed.inactive_streak as gap_months,
        count(*) as n_open_gaps
    from followed
    inner join export_window
        on followed.activity_month = export_window.export_month
    where followed.inactive_streak > 0
    group by followed.inactive_streak
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
