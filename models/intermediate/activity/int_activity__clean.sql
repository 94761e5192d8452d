{#- The clean rows: exactly the validated rows without a reason code, soft flags kept. -#}
select
    raw_row_id,
    partner_id,
    geo,
    account_id,
    activity_month,
    months_active,
    reg_date,
    ftd_date,
    qp_date,
    ben_login_id,
    tracker_id,
    product,
    total_deposit,
    total_handle,
    total_ngr,
    -- An active month has real activity: a deposit or a bet.
    total_deposit > 0 or total_handle > 0 as has_activity,
    is_activity_before_ftd,
    is_ftd_before_reg,
    is_qp_before_ftd,
    is_negative_deposit,
    is_negative_ngr,
    is_ftd_date_filled
from {{ ref('int_activity__validated') }}
where reason_code is null
