-- Quick-churn probability by partition: quartiles and 10th / 90th percentiles over every scored
-- player, the share in the two top risk bands, the recent (unlabelled) players' mean and the
-- mean predicted probability and the observed rate on the test cohorts (the pair calibration
-- compares), with the sub-model that serves the partition.
with

partition_scores as (
    select * from {{ ref('rpt_partition_scores') }}
),

final as (
    select * from partition_scores
)

select * from final
order by n_players desc, partner_id asc, geo asc
