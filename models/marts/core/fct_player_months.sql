{#- The dense player x month panel: one row per player per month from the panel start (the FTD month,
    or the data start for left-truncated players) to the export month, inactive months filled with
    zeros, with the churn rule applied: K = churn_inactive_months consecutive inactive months after
    the last active month mean churn. -#}
{%- set k = churn_inactive_months() -%}

with players as (

    select * from {{ ref('int_players') }}
    where not is_ftd_after_export_month

),

months as (

    select month_start from {{ ref('int_month_spine') }}

),

activity as (

    select * from {{ ref('int_activity__clean') }}
    where not is_activity_before_ftd

),

panel as (

    select
        players.player_id,
        players.partner_id,
        players.geo,
        players.account_id,
        players.ftd_month,
        months.month_start as activity_month,
        -- months_active() expands to a single line longer than the limit, hence the noqa.
        {{ months_active('players.ftd_date', 'months.month_start') }} as months_active,  -- noqa: LT05
        activity.raw_row_id is not null as has_activity_row,
        -- The FTD month is active by definition: a first deposit happened in it, row or not.
        coalesce(activity.has_activity, false)
        or months.month_start = players.ftd_month as is_active,
        coalesce(activity.total_deposit, 0) as total_deposit,
        coalesce(activity.total_handle, 0) as total_handle,
        coalesce(activity.total_ngr, 0) as total_ngr
    from players
    inner join months
        on players.panel_start_month <= months.month_start
    left join activity
        on players.partner_id = activity.partner_id
            and players.geo = activity.geo
            and players.account_id = activity.account_id
            and months.month_start = activity.activity_month

),

neighbours as (

    -- For each month: the player's previous and next active month (as months_active), which bound
    -- the inactive gap the month lies in, and the first month of the panel.
    select
        panel.*,
        max(case when panel.is_active then panel.months_active end) over (
            partition by panel.player_id
            order by panel.months_active
            rows between unbounded preceding and 1 preceding
        ) as previous_active_month_number,
        min(case when panel.is_active then panel.months_active end) over (
            partition by panel.player_id
            order by panel.months_active
            rows between 1 following and unbounded following
        ) as next_active_month_number,
        min(panel.months_active) over (partition by panel.player_id) as entry_month_number,
        max(panel.months_active) over (partition by panel.player_id) as last_observed_month_number
    from panel

),

classified as (

    select
        neighbours.*,
        case
            when neighbours.is_active then 0
            when
                neighbours.previous_active_month_number is null
                then neighbours.months_active - neighbours.entry_month_number + 1
            else neighbours.months_active - neighbours.previous_active_month_number
        end as inactive_streak,
        -- Inside a churn spell: an inactive month in a gap of at least K inactive months, seen
        -- in full (closed by a later active month, or K inactive months before the data end).
        not neighbours.is_active
        and neighbours.previous_active_month_number is not null
        and (
            (
                neighbours.next_active_month_number is not null
                and neighbours.next_active_month_number - neighbours.previous_active_month_number - 1
                >= {{ k }}
            )
            or (
                neighbours.next_active_month_number is null
                and neighbours.last_observed_month_number - neighbours.previous_active_month_number >= {{ k }}
            )
        ) as is_churned,
        neighbours.is_active
        and neighbours.previous_active_month_number is not null
        and neighbours.months_active - neighbours.previous_active_month_number - 1
        >= {{ k }} as is_reactivation
    from neighbours

),

spells as (

    select
        classified.*,
        classified.is_churned
        and classified.months_active = classified.previous_active_month_number + 1 as is_churn_start
    from classified

),

final as (

    select
        player_id,
        partner_id,
        geo,
        account_id,
        ftd_month,
        activity_month,
        months_active,
        is_active,
        has_activity_row,
        total_deposit,
        total_handle,
        total_ngr,
        inactive_streak,
        is_churned,
        is_churn_start,
        is_reactivation,
        count(case when is_churn_start then 1 end)
            over (
                partition by player_id
                order by months_active
                rows between unbounded preceding and current row
            )
            as churn_spell_number,
        case
            when is_active then 'active'
            when is_churned then 'churned'
            when next_active_month_number is not null then 'skipped'
            else 'lapsing'
        end as activity_status
    from spells

)

select * from final
