{#- One row per player: THE survival outcome at the export month (macro `survival_outcome`, the
    same definition the backtest cutoffs use): late entry, exit from the risk set, the churn event
    and the survival time T, beside the player's partition, FTD cohort, first-month money and
    reactivations. -#}
with players as (

    select * from {{ ref('int_players') }}
    where not is_ftd_after_export_month

),

panel as (

    select * from {{ ref('fct_player_months') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

export_cutoff as (

    select
        0 as cutoff_offset_months,
        export_month as cutoff_month
    from export_window

),

outcomes as (

    {{ survival_outcome('panel', 'export_cutoff') }}
),

money_and_activity as (

    select
        player_id,
        count(case when is_active then 1 end) as active_months,
        count(case when is_reactivation then 1 end) as reactivation_count,
        sum(case when months_active = 0 then total_deposit end) as first_month_deposit,
        sum(case when months_active = 0 then total_handle end) as first_month_handle,
        sum(case when months_active = 0 then total_ngr end) as first_month_ngr,
        sum(total_deposit) as observed_deposit,
        sum(total_handle) as observed_handle,
        sum(total_ngr) as observed_ngr
    from panel
    group by player_id

),

final as (

    select
        players.player_id,
        players.partner_id,
        players.geo,
        players.account_id,
        players.ftd_date,
        players.ftd_month,
        players.reg_date,
        players.qp_date,
        players.ben_login_id,
        players.tracker_id,
        players.product,
        players.is_left_truncated,
        outcomes.entry_month,
        outcomes.duration_months,
        outcomes.is_churned,
        outcomes.survival_months,
        outcomes.followup_months,
        outcomes.last_active_month,
        money_and_activity.active_months,
        money_and_activity.reactivation_count,
        money_and_activity.first_month_deposit,
        money_and_activity.first_month_handle,
        money_and_activity.first_month_ngr,
        money_and_activity.observed_deposit,
        money_and_activity.observed_handle,
        money_and_activity.observed_ngr,
        players.n_rows_before_ftd,
        players.has_ftd_before_reg,
        players.has_qp_before_ftd,
        export_window.export_month,
        export_window.churn_inactive_months
    from players
    inner join outcomes
        on players.player_id = outcomes.player_id
    inner join money_and_activity
        on players.player_id = money_and_activity.player_id
    cross join export_window

)

select * from final
