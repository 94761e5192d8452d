-- Volumes by calendar month and partner: active players, first-time depositors and money.
with

monthly_volumes as (
    select * from {{ ref('rpt_monthly_volumes') }}
),

final as (
    select * from monthly_volumes
)

select * from final
order by activity_month, partner_id
