-- Every data problem with its count (zero included): rows quarantined by reason, rows kept with a
-- flag (reason codes from the seed dq_reason_codes), and values normalised on the way in
-- (state-code and product-label variants, blank trackers).
with

data_problems as (
    select * from {{ ref('rpt_data_problems') }}
),

final as (
    select * from data_problems
)

select * from final
order by check_order
