{#- Every staged row with its verdict: the first hard problem found (reason_code, then the row goes
    to the quarantine) or none (the row is clean), plus the soft-problem flags. Nothing is dropped. -#}
{%- set prefixes = text_list_var('test_account_prefixes') -%}
{%- set threshold = number_var('test_account_amount_threshold', minimum=1) -%}

with staged as (

    select * from {{ ref('stg_partner__activity') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

accounts as (

    -- Account-level facts: the first-deposit date from any row, and whether it is a test account.
    select
        staged.partner_id,
        staged.account_id,
        -- Only plausible first-deposit dates may be lent to the account's other rows.
        min(case
            when staged.ftd_date between export_window.earliest_plausible_date
                and export_window.latest_plausible_date then staged.ftd_date
        end) as account_ftd_date,
        max(case
            when greatest(
                    abs(coalesce(staged.total_deposit, 0)), abs(coalesce(staged.total_handle, 0)),
                    abs(coalesce(staged.total_ngr, 0))
                ) >= {{ threshold }} then 1
            {%- for prefix in prefixes %}
            -- A plain prefix comparison: '_' and '%' in a prefix are characters, not wildcards.
                when substring(lower(staged.account_id), 1, {{ prefix | length }})
                    = {{ sql_literal(prefix | lower) }} then 1
            {%- endfor %}
            else 0
        end) = 1 as is_test_account
    from staged
    cross join export_window
    where staged.account_id is not null
    group by staged.partner_id, staged.account_id

),

checked as (

    select
        staged.*,
        coalesce(staged.ftd_date, accounts.account_ftd_date) as player_ftd_date,
        staged.ftd_date is null and accounts.account_ftd_date is not null as is_ftd_date_filled,
        case
            when staged.partner_id is null or staged.account_id is null
                or staged.raw_activity_month is null
                or trim(staged.raw_activity_month) = '' then 'missing_key'
            when not {{ is_valid_partner_id('staged.partner_id') }} then 'invalid_partner_id'
            -- Only in an export holding both orders: a slash date that reads both ways.
            when staged.has_ambiguous_date then 'ambiguous_date'
            when staged.activity_month is null
                or (staged.reg_date is null and nullif(trim(staged.raw_reg_date), '') is not null)
                or (staged.ftd_date is null and nullif(trim(staged.raw_ftd_date), '') is not null)
                or (staged.qp_date is null and nullif(trim(staged.raw_qp_date), '') is not null)
                then 'unparseable_date'
            -- An activity month after the export month is `after_export_month` below, unless it is
            -- DuckDB's `infinity`, which no partner means.
            when not {{ is_plausible_date('staged.activity_month', 'export_window.earliest_plausible_date') }}
                or staged.reg_date not between export_window.earliest_plausible_date
                and export_window.latest_plausible_date
                or staged.ftd_date not between export_window.earliest_plausible_date
                and export_window.latest_plausible_date
                or staged.qp_date not between export_window.earliest_plausible_date
                and export_window.latest_plausible_date
                then 'implausible_date'
            when (staged.total_deposit is null and nullif(trim(staged.raw_total_deposit), '') is not null)
                or (staged.total_handle is null and nullif(trim(staged.raw_total_handle), '') is not null)
                or (staged.total_ngr is null and nullif(trim(staged.raw_total_ngr), '') is not null)
                then 'unparseable_amount'
            when accounts.is_test_account then 'test_account'
            when accounts.account_ftd_date is null then 'missing_ftd_date'
            when staged.geo is null then 'invalid_brand_id'
            when staged.activity_month < export_window.data_start_month then 'before_data_start'
            when staged.activity_month > export_window.export_month then 'after_export_month'
            when coalesce(staged.total_deposit, 0) = 0 and coalesce(staged.total_handle, 0) = 0
                and coalesce(staged.total_ngr, 0) = 0 then 'all_zero_activity'
        end as hard_reason_code
    from staged
    cross join export_window
    left join accounts
        on staged.partner_id = accounts.partner_id
            and staged.account_id = accounts.account_id

),

ranked as (

    -- Duplicate rule: among rows without a hard problem, one row per partner, state, account and
    -- month survives: the largest deposit + handle (the most complete restatement), then the first
    -- in the file.
    select
        checked.*,
        case when checked.hard_reason_code is null then row_number() over (
                    partition by
                        checked.partner_id, checked.geo, checked.account_id, checked.activity_month,
                        case when checked.hard_reason_code is null then 1 else 0 end
                    order by
                        coalesce(checked.total_deposit, 0) + coalesce(checked.total_handle, 0) desc,
                        checked.raw_row_id
                )
        end as copy_rank
    from checked

),

final as (

    select
        raw_row_id,
        source_file,
        partner_id,
        geo,
        account_id,
        activity_month,
        -- months_active() expands to a single line longer than the limit, hence the noqa.
        {{ months_active('player_ftd_date', 'activity_month') }} as months_active,  -- noqa: LT05
        reg_date,
        player_ftd_date as ftd_date,
        qp_date,
        ben_login_id,
        tracker_id,
        product,
        coalesce(total_deposit, 0) as total_deposit,
        coalesce(total_handle, 0) as total_handle,
        coalesce(total_ngr, 0) as total_ngr,
        coalesce(hard_reason_code, case when copy_rank > 1 then 'duplicate' end) as reason_code,
        {{ months_active('player_ftd_date', 'activity_month') }} < 0 as is_activity_before_ftd,  -- noqa: LT05
        player_ftd_date < reg_date as is_ftd_before_reg,
        qp_date < player_ftd_date as is_qp_before_ftd,
        coalesce(total_deposit, 0) < 0 as is_negative_deposit,
        coalesce(total_ngr, 0) < 0 as is_negative_ngr,
        is_ftd_date_filled,
        raw_partner_id,
        raw_activity_month,
        raw_account_id,
        raw_brand_id,
        raw_reg_date,
        raw_ftd_date,
        raw_qp_date,
        raw_ben_login_id,
        raw_tracker_id,
        raw_player_reg_product,
        raw_total_deposit,
        raw_total_handle,
        raw_total_ngr
    from ranked

)

select * from final
