-- Volumes by partner and state (the partitions): players, late entrants, activity and money,
-- with the state's online sports-betting launch month.
with

partition_volumes as (
    select * from {{ ref('rpt_partition_volumes') }}
),

final as (
    select * from partition_volumes
)

select * from final
order by n_players desc, partner_id asc, geo asc
