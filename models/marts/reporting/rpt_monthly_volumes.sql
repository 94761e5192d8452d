-- Volumes by calendar month and partner: active players, first-time depositors and money.
with

panel as (
    select * from {{ ref('fct_player_months') }}
),

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

activity as (
    select
        activity_month,
        partner_id,
        sum(case when is_active then 1 else 0 end) as n_active_players,
        sum(total_deposit) as total_deposit,
        sum(total_handle) as total_handle,
        sum(total_ngr) as total_ngr
    from panel
    group by activity_month, partner_id
),

ftds as (
    select
        ftd_month as activity_month,
        partner_id,
        count(*) as n_ftds
    from lifetimes
    where not is_left_truncated
    group by ftd_month, partner_id
),

final as (
    select
        activity.activity_month,
        activity.partner_id,
        activity.n_active_players,
        coalesce(ftds.n_ftds, 0) as n_ftds,
        activity.total_deposit,
        activity.total_handle,
        activity.total_ngr
    from activity
    left join ftds
        on activity.activity_month = ftds.activity_month
            and activity.partner_id = ftds.partner_id
)

select * from final
