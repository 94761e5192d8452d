{#- The dense player x month panel: one row per player per month from the panel start (the FTD month,
    or the data start for left-truncated players) to the export month, inactive months filled with
    zeros, with the churn rule applied: K = churn_inactive_months consecutive inactive months after
    the last active month mean churn. Windows run over the active months only (a fraction of the
    panel): each active month and the inactive gap after it is one run of months, written out. -#}
{%- set k = churn_inactive_months() -%}

with players as (

    select * from {{ ref('int_players') }}
    where not is_ftd_after_export_month

),

months as (

    select month_start from {{ ref('int_month_spine') }}

),

export_window as (

    -- The spine ends at the export month.
    select max(month_start) as export_month from months

),

month_offsets as (

    -- 0, 1, ... up to the length of the data window in months.
    select
        row_number() over (
            order by month_start
        ) - 1 as month_offset
    from months

),

activity as (

    select * from {{ ref('int_activity__clean') }}
    where not is_activity_before_ftd

),

player_bounds as (

    -- The panel's first and last month as months_active: the player's entry (FTD month, or the
    -- data start when left-truncated) and the export month.
    select
        players.player_id,
        players.partner_id,
        players.geo,
        players.account_id,
        players.ftd_date,
        players.ftd_month,
        players.panel_start_month,
        {{ months_active('players.ftd_date', 'players.panel_start_month') }} as entry_month_number,  -- noqa: LT05
        {{ months_active('players.ftd_date', 'export_window.export_month') }} as last_observed_month_number  -- noqa: LT05
    from players
    cross join export_window

),

active_months as (

    -- The panel months a player is active in: a deposit or a bet, and the FTD month by definition
    -- (a first deposit happened in it, row or not) when it lies in the panel.
    select
        player_bounds.player_id,
        activity.activity_month
    from activity
    inner join player_bounds
        on {{ join_on_keys('activity', 'player_bounds', ['partner_id', 'geo', 'account_id']) }}
    cross join export_window
    where (activity.has_activity or activity.activity_month = player_bounds.ftd_month)
        and activity.activity_month >= player_bounds.panel_start_month
        and activity.activity_month <= export_window.export_month
    union all
    select
        player_bounds.player_id,
        player_bounds.ftd_month as activity_month
    from player_bounds
    where player_bounds.ftd_month = player_bounds.panel_start_month
        and not exists (
            select 1
            from activity
            where {{ join_on_keys('activity', 'player_bounds', ['partner_id', 'geo', 'account_id']) }}
                and activity.activity_month = player_bounds.ftd_month
        )

),

active_numbered as (

    select
        player_bounds.*,
        -- months_active() expands to a single line longer than the limit, hence the noqa.
        {{ months_active('player_bounds.ftd_date', 'active_months.activity_month') }} as active_month_number  -- noqa: LT05
    from active_months
    inner join player_bounds
        on active_months.player_id = player_bounds.player_id

),

active_gaps as (

    -- Each active month with the player's previous and next active month (as months_active);
    -- windows over the active months only, a fraction of the dense panel.
    select
        active_numbered.*,
        lag(active_numbered.active_month_number) over (
            partition by active_numbered.player_id
            order by active_numbered.active_month_number
        ) as previous_active_month_number,
        lead(active_numbered.active_month_number) over (
            partition by active_numbered.player_id
            order by active_numbered.active_month_number
        ) as next_active_month_number
    from active_numbered

),

gap_lengths as (

    -- Whether the inactive months after an active month, up to the next active month or (after
    -- the last one) up to the export month, are at least K: a churn spell seen in full.
    select
        active_gaps.*,
        coalesce(
            active_gaps.next_active_month_number - active_gaps.active_month_number - 1,
            active_gaps.last_observed_month_number - active_gaps.active_month_number
        ) >= {{ k }} as is_gap_after_churn
    from active_gaps

),

gap_churn as (

    -- The churn spells that started before an active month number the spells after it.
    select
        gap_lengths.*,
        count(case when gap_lengths.is_gap_after_churn then 1 end) over (
            partition by gap_lengths.player_id
            order by gap_lengths.active_month_number
            rows between unbounded preceding and 1 preceding
        ) as churn_spells_before
    from gap_lengths

),

segments as (

    -- The panel in runs of months that share their last active month: each active month and the
    -- gap after it, and, for a player entering inactive (left-truncated), the run before the
    -- first active month, which has no active month before it.
    select
        player_id,
        partner_id,
        geo,
        account_id,
        ftd_month,
        entry_month_number,
        last_observed_month_number,
        active_month_number as segment_start_number,
        coalesce(next_active_month_number - 1, last_observed_month_number) as segment_end_number,
        active_month_number as anchor_month_number,
        previous_active_month_number as anchor_previous_active_month_number,
        next_active_month_number,
        is_gap_after_churn,
        churn_spells_before
    from gap_churn
    union all
    select
        player_bounds.player_id,
        player_bounds.partner_id,
        player_bounds.geo,
        player_bounds.account_id,
        player_bounds.ftd_month,
        player_bounds.entry_month_number,
        player_bounds.last_observed_month_number,
        player_bounds.entry_month_number as segment_start_number,
        coalesce(
            first_active.active_month_number - 1, player_bounds.last_observed_month_number
        ) as segment_end_number,
        cast(null as bigint) as anchor_month_number,
        cast(null as bigint) as anchor_previous_active_month_number,
        first_active.active_month_number as next_active_month_number,
        false as is_gap_after_churn,
        cast(0 as bigint) as churn_spells_before
    from player_bounds
    left join gap_churn as first_active
        on player_bounds.player_id = first_active.player_id
            and first_active.previous_active_month_number is null
    where first_active.player_id is null
        or first_active.active_month_number > player_bounds.entry_month_number

),

segment_months as (

    -- One row per month of each run: the dense panel, written out without a window over it.
    select
        segments.*,
        month_offsets.month_offset + segments.segment_start_number as months_active,
        cast({{ dbt.dateadd(
            'month',
            '(month_offsets.month_offset + segments.segment_start_number)',
            'segments.ftd_month'
        ) }} as date) as activity_month
    from segments
    inner join month_offsets
        on month_offsets.month_offset <= segments.segment_end_number - segments.segment_start_number

),

panel as (

    select
        segment_months.player_id,
        segment_months.partner_id,
        segment_months.geo,
        segment_months.account_id,
        segment_months.ftd_month,
        segment_months.activity_month,
        segment_months.months_active,
        activity.raw_row_id is not null as has_activity_row,
        coalesce(segment_months.months_active = segment_months.anchor_month_number, false)
            as is_active,
        coalesce(activity.total_deposit, 0) as total_deposit,
        coalesce(activity.total_handle, 0) as total_handle,
        coalesce(activity.total_ngr, 0) as total_ngr,
        -- The previous and next active month bound the inactive gap a month lies in; an active
        -- month's own previous one is the anchor's.
        case
            when segment_months.months_active = segment_months.anchor_month_number
                then segment_months.anchor_previous_active_month_number
            else segment_months.anchor_month_number
        end as previous_active_month_number,
        segment_months.next_active_month_number,
        segment_months.entry_month_number,
        segment_months.last_observed_month_number,
        segment_months.churn_spells_before
        + case
            when
                segment_months.is_gap_after_churn
                and segment_months.months_active > segment_months.anchor_month_number
                then 1
            else 0
        end as churn_spell_number
    from segment_months
    left join activity
        on {{ join_on_keys('segment_months', 'activity', ['partner_id', 'geo', 'account_id']) }}
            and segment_months.activity_month = activity.activity_month

),

classified as (

    select
        panel.*,
        case
            when panel.is_active then 0
            when
                panel.previous_active_month_number is null
                then panel.months_active - panel.entry_month_number + 1
            else panel.months_active - panel.previous_active_month_number
        end as inactive_streak,
        -- Inside a churn spell: an inactive month in a gap of at least K inactive months, seen
        -- in full (closed by a later active month, or K inactive months before the data end).
        not panel.is_active
        and panel.previous_active_month_number is not null
        and (
            (
                panel.next_active_month_number is not null
                and panel.next_active_month_number - panel.previous_active_month_number - 1
                >= {{ k }}
            )
            or (
                panel.next_active_month_number is null
                and panel.last_observed_month_number - panel.previous_active_month_number >= {{ k }}
            )
        ) as is_churned,
        panel.is_active
        and panel.previous_active_month_number is not null
        and panel.months_active - panel.previous_active_month_number - 1
        >= {{ k }} as is_reactivation
    from panel

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
        churn_spell_number,
        case
            when is_active then 'active'
            when is_churned then 'churned'
            when next_active_month_number is not null then 'skipped'
            else 'lapsing'
        end as activity_status
    from spells

)

select * from final
