-- Calibration of the default classifier on the test cohorts: ten equal-width probability bins,
-- mean predicted probability vs observed quick-churn rate with a Wilson 95% interval.
with

calibration_bins as (
    select * from {{ ref('rpt_calibration_bins') }}
),

final as (
    select * from calibration_bins
)

select * from final
order by bin_lower
