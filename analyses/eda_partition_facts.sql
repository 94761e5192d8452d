-- The numbers the overview quotes about partitions (partner x state) and partners, from
-- rpt_partition_volumes: the largest and the smallest, the median size, late entrants and left
-- truncation. One row.
with

partition_volumes as (
    select * from {{ ref('rpt_partition_volumes') }}
),

partitions as (
    select
        partner_id || ' x ' || geo as partition_label,
        n_players,
        row_number() over (
            order by n_players desc, partner_id desc, geo desc
        ) as rank_largest,
        row_number() over (
            order by n_players asc, partner_id asc, geo asc
        ) as rank_smallest
    from partition_volumes
),

partners as (
    select
        partner_id,
        1.0 * sum(n_players) / sum(sum(n_players)) over () as share_players,
        row_number() over (
            order by sum(n_players) desc, partner_id asc
        ) as rank_largest,
        row_number() over (
            order by sum(n_players) asc, partner_id desc
        ) as rank_smallest
    from partition_volumes
    group by partner_id
),

partition_facts as (
    select
        max(case when rank_largest = 1 then partition_label end) as largest_partition,
        max(case when rank_largest = 1 then n_players end) as largest_partition_players,
        max(case when rank_smallest = 1 then partition_label end) as smallest_partition,
        max(case when rank_smallest = 1 then n_players end) as smallest_partition_players,
        median(n_players) as median_partition_players,
        sum(case when n_players < 500 then 1 else 0 end) as n_partitions_under_500
    from partitions
),

entry_facts as (
    select
        sum(case when first_ftd_month > launch_month then 1 else 0 end) as n_partitions_late_entry,
        sum(case when n_left_truncated > 0 then 1 else 0 end) as n_partitions_left_truncated
    from partition_volumes
),

partner_facts as (
    select
        max(case when rank_largest = 1 then partner_id end) as largest_partner,
        max(case when rank_largest = 1 then share_players end) as largest_partner_share,
        max(case when rank_smallest = 1 then partner_id end) as smallest_partner,
        max(case when rank_smallest = 1 then share_players end) as smallest_partner_share,
        count(*) > 1 as has_several_partners
    from partners
),

final as (
    select
        partition_facts.*,
        entry_facts.*,
        partner_facts.*
    from partition_facts
    cross join entry_facts
    cross join partner_facts
)

select * from final
