-- Volumes by partner and state (the partitions): players, late entrants, activity and money,
-- with the state's online sports-betting launch month.
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

launches as (
    select * from {{ ref('state_launch_months') }}
),

partitions as (
    select
        partner_id,
        geo,
        count(*) as n_players,
        sum(case when is_left_truncated then 1 else 0 end) as n_left_truncated,
        min(ftd_month) as first_ftd_month,
        sum(active_months) as n_active_months,
        sum(observed_deposit) as total_deposit,
        sum(observed_handle) as total_handle,
        sum(observed_ngr) as total_ngr
    from lifetimes
    group by partner_id, geo
),

final as (
    select
        partitions.*,
        sum(partitions.n_players) over (partition by partitions.geo) as n_state_players,
        launches.launch_month
    from partitions
    left join launches
        on partitions.geo = launches.state_code
)

select * from final
