{#- One row per player: the survival time T under the churn rule and whether churn was seen
    (event) or the data ended first (censored), with late entry for left-truncated players. -#}
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

per_player as (

    select
        player_id,
        min(months_active) as entry_month,
        max(months_active) as followup_months,
        min(case when is_churn_start then months_active end) as first_churn_month,
        max(case when is_active then months_active end) as last_active_month,
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
        per_player.entry_month,
        per_player.followup_months,
        per_player.last_active_month,
        -- T = L + 1: alive in months 0..L. With no churn seen, censored at the same T.
        coalesce(per_player.first_churn_month, per_player.last_active_month + 1, per_player.entry_month)
            as survival_months,
        per_player.first_churn_month is not null as is_churned,
        per_player.active_months,
        per_player.reactivation_count,
        per_player.first_month_deposit,
        per_player.first_month_handle,
        per_player.first_month_ngr,
        per_player.observed_deposit,
        per_player.observed_handle,
        per_player.observed_ngr,
        players.n_rows_before_ftd,
        players.has_ftd_before_reg,
        players.has_qp_before_ftd,
        export_window.export_month,
        export_window.churn_inactive_months
    from players
    inner join per_player
        on players.player_id = per_player.player_id
    cross join export_window

)

select * from final
