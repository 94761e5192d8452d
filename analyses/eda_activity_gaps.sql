-- Inactive gaps between active months, by length: gaps that end with a return to activity
-- (skips shorter than K, reactivations after a churn spell of K or more) and gaps still open at
-- the export month. Players who deposited before the data window are left out.
with

activity_gaps as (
    select * from {{ ref('rpt_activity_gaps') }}
),

final as (
    select * from activity_gaps
)

select * from final
order by gap_months
