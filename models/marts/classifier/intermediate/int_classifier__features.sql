{#- Features of the quick-churn classifier: one row per player who can be scored at the decision
    point, the end of months_active = var `decision_month` (d). Only what is known then is used:
    the panel months 0..d, the player's static attributes, and the first cash bet only if it falls
    inside months 0..d (`qp_date` is the first bet as of the export, so a later date must not leak).
    Left-truncated players (FTD before the data window) are not scored: their decision point
    precedes the data. Players whose decision window is not yet complete at the export month are
    not scored either. No feature measures calendar time (months since a state's launch acted as a
    trend and over-predicted recent cohorts); the calendar month enters as a season. -#}
{%- set decision_month = number_var('decision_month', minimum=0, integer=true) -%}

with players as (

    select * from {{ ref('int_players') }}
    where not is_ftd_after_export_month
        and not is_left_truncated

),

panel as (

    select * from {{ ref('fct_player_months') }}
    where months_active <= {{ decision_month }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

decision_window as (

    select
        players.*,
        -- First day after the decision window: the end of month d after the FTD month.
        cast({{ dbt.dateadd('month', decision_month + 1, 'players.ftd_month') }} as date)
            as decision_window_end
    from players
    cross join export_window
    where {{ dbt.datediff('players.ftd_month', 'export_window.export_month', 'month') }}
        >= {{ decision_month }}

),

window_money as (

    select
        player_id,
        sum(total_deposit) as decision_deposit,
        sum(total_handle) as decision_handle,
        sum(total_ngr) as decision_ngr,
        count(case when is_active then 1 end) as decision_active_months
    from panel
    group by player_id

),

final as (

    select
        decision_window.player_id,
        decision_window.partner_id,
        decision_window.geo,
        decision_window.account_id,
        decision_window.ftd_month,
        decision_window.product,
        decision_window.ben_login_id,
        decision_window.tracker_id,
        cast({{ dbt.datediff(dbt.date_trunc('year', 'decision_window.ftd_month'),
            'decision_window.ftd_month', 'month') }} + 1 as integer) as ftd_calendar_month,
        cast(
            {{ dbt.datediff('decision_window.reg_date', 'decision_window.ftd_date', 'day') }}
            as integer
        ) as reg_to_ftd_days,
        cast(
            {{ dbt.datediff('decision_window.ftd_date', 'decision_window.decision_window_end', 'day') }}
            as integer
        ) as days_to_decision,
        coalesce(decision_window.qp_date < decision_window.decision_window_end, false)
            as has_first_bet,
        -- A first bet dated before the FTD (a flagged data problem) counts as a bet on the FTD day.
        case
            when decision_window.qp_date < decision_window.decision_window_end
                then cast(greatest(0, {{ dbt.datediff('decision_window.ftd_date',
                    'decision_window.qp_date', 'day') }}) as integer)
        end as ftd_to_first_bet_days,
        cast(coalesce(window_money.decision_deposit, 0) as double) as decision_deposit,
        cast(coalesce(window_money.decision_handle, 0) as double) as decision_handle,
        cast(coalesce(window_money.decision_ngr, 0) as double) as decision_ngr,
        cast(coalesce(window_money.decision_active_months, 0) as integer) as decision_active_months,
        cast(window_money.decision_handle as double)
        / nullif(cast(window_money.decision_deposit as double), 0) as handle_per_deposit,
        cast(window_money.decision_ngr as double)
        / nullif(cast(window_money.decision_handle as double), 0) as ngr_per_handle,
        cast(window_money.decision_ngr as double)
        / nullif(cast(window_money.decision_deposit as double), 0) as ngr_per_deposit,
        {{ decision_month }} as decision_month
    from decision_window
    left join window_money
        on decision_window.player_id = window_money.player_id

)

select * from final
