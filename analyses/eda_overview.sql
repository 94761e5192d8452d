-- Headline numbers of the export and the warehouse built from it: one row.
with

export_window as (
    select * from {{ ref('int_export_window') }}
),

month_spine as (
    select count(*) as window_months
    from {{ ref('int_month_spine') }}
),

reconciliation as (
    select
        sum(n_raw_rows) as n_raw_rows,
        sum(n_clean_rows) as n_clean_rows,
        sum(n_quarantined_rows) as n_quarantined_rows
    from {{ ref('dq_reconciliation') }}
),

lifetimes as (
    select
        count(*) as n_players,
        count(distinct partner_id) as n_partners,
        count(distinct geo) as n_states,
        count(distinct partner_id || '|' || geo) as n_partitions,
        sum(case when is_left_truncated then 1 else 0 end) as n_left_truncated,
        sum(case when is_churned then 1 else 0 end) as n_churned,
        sum(case when not is_churned then 1 else 0 end) as n_censored,
        sum(case when reactivation_count > 0 then 1 else 0 end) as n_reactivated,
        sum(case when qp_date is null then 1 else 0 end) as n_never_bet,
        sum(observed_ngr) as total_ngr,
        sum(observed_deposit) as total_deposit,
        sum(observed_handle) as total_handle
    from {{ ref('fct_player_lifetimes') }}
),

panel as (
    select
        count(*) as n_panel_months,
        sum(case when is_active then 1 else 0 end) as n_active_months,
        sum(case when is_active and total_ngr < 0 then 1 else 0 end) as n_negative_ngr_months
    from {{ ref('fct_player_months') }}
),

final as (
    select
        export_window.data_start_month,
        export_window.export_month,
        export_window.churn_inactive_months,
        reconciliation.n_raw_rows,
        reconciliation.n_clean_rows,
        reconciliation.n_quarantined_rows,
        lifetimes.n_players,
        lifetimes.n_partners,
        lifetimes.n_states,
        lifetimes.n_partitions,
        lifetimes.n_left_truncated,
        lifetimes.n_churned,
        lifetimes.n_censored,
        lifetimes.n_reactivated,
        lifetimes.n_never_bet,
        lifetimes.total_deposit,
        lifetimes.total_handle,
        lifetimes.total_ngr,
        panel.n_panel_months,
        panel.n_active_months,
        panel.n_negative_ngr_months,
        1.0 * panel.n_negative_ngr_months / nullif(panel.n_active_months, 0) as share_negative_ngr_months,
        month_spine.window_months,
        1.0 * reconciliation.n_quarantined_rows / nullif(reconciliation.n_raw_rows, 0)
            as share_quarantined,
        1.0 * lifetimes.n_left_truncated / nullif(lifetimes.n_players, 0) as share_left_truncated,
        1.0 * lifetimes.n_churned / nullif(lifetimes.n_players, 0) as share_churned,
        1.0 * lifetimes.n_censored / nullif(lifetimes.n_players, 0) as share_censored,
        1.0 * lifetimes.n_reactivated / nullif(lifetimes.n_churned, 0) as share_reactivated_of_churned,
        1.0 * lifetimes.n_never_bet / nullif(lifetimes.n_players, 0) as share_never_bet
    from export_window
    cross join reconciliation
    cross join lifetimes
    cross join panel
    cross join month_spine
)

select * from final
