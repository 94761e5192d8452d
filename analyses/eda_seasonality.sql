-- The sports calendar by calendar month: FTDs, the active rate of players not (yet) churned, and
-- churn spells starting that month with the share that later end in a reactivation. A high
-- reactivation share means the K-month inactivity rule calls seasonal breaks churn.
with

calendar_months as (
    select * from {{ ref('rpt_calendar_months') }}
),

final as (
    select * from calendar_months
)

select * from final
order by calendar_month
