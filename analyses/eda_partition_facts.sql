-- The numbers the overview quotes about partitions (partner x state) and partners: the largest
-- and the smallest, the median size, late entrants and left truncation. One row.
with

lifetimes as (
    select * from {{ ref('fct_player_lifetimes') }}
),

launches as (
    select * from {{ ref('state_launch_months') }}
),

partitions as (
    select
        lifetimes.partner_id,
        lifetimes.geo,
        count(*) as n_players,
        max(case when lifetimes.is_left_truncated then 1 else 0 end) as has_left_truncated,
        case when min(lifetimes.ftd_month) > min(launches.launch_month) then 1 else 0 end
            as is_late_entry,
        row_number() over (
            order by count(*) desc, lifetimes.partner_id desc, lifetimes.geo desc
        ) as rank_largest,
        row_number() over (
            order by count(*) asc, lifetimes.partner_id asc, lifetimes.geo asc
        ) as rank_smallest
    from lifetimes
    left join launches
        on lifetimes.geo = launches.state_code
    group by lifetimes.partner_id, lifetimes.geo
),

partners as (
    select
        partner_id,
        1.0 * sum(n_players) / sum(sum(n_players)) over () as share_players,
        row_number() over (order by sum(n_players) desc, partner_id asc) as rank_largest,
        row_number() over (order by sum(n_players) asc, partner_id desc) as rank_smallest
    from partitions
    group by partner_id
),

final as (
    select
        max(case when partitions.rank_largest = 1 then partitions.partner_id || ' x ' || partitions.geo end)
            as largest_partition,
        max(case when partitions.rank_largest = 1 then partitions.n_players end)
            as largest_partition_players,
        max(case when partitions.rank_smallest = 1 then partitions.partner_id || ' x ' || partitions.geo end)
            as smallest_partition,
        max(case when partitions.rank_smallest = 1 then partitions.n_players end)
            as smallest_partition_players,
        median(partitions.n_players) as median_partition_players,
        sum(case when partitions.n_players < 500 then 1 else 0 end) as n_partitions_under_500,
        sum(partitions.is_late_entry) as n_partitions_late_entry,
        sum(partitions.has_left_truncated) as n_partitions_left_truncated,
        (select partner_id from partners where rank_largest = 1) as largest_partner,
        (select share_players from partners where rank_largest = 1) as largest_partner_share,
        (select partner_id from partners where rank_smallest = 1) as smallest_partner,
        (select share_players from partners where rank_smallest = 1) as smallest_partner_share
    from partitions
)

select * from final
