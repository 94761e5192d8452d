{#- Every raw row that did not make it into the clean table, with what the partner sent, the reason
    code and a sentence a person can act on. -#}
{#- The four raw dates as one text, for the reasons that quote them. -#}
{%- set raw_dates -%}
    coalesce(validated.raw_activity_month, '')
    || ' / ' || coalesce(validated.raw_reg_date, '')
    || ' / ' || coalesce(validated.raw_ftd_date, '')
    || ' / ' || coalesce(validated.raw_qp_date, '')
{%- endset %}
with validated as (

    select * from {{ ref('int_activity__validated') }}
    where reason_code is not null

),

reason_codes as (

    select
        reason_code,
        check_order,
        description
    from {{ ref('dq_reason_codes') }}

),

final as (

    select
        validated.raw_row_id,
        {{ partner_or_missing('validated.partner_id') }} as partner_id,
        validated.reason_code,
        reason_codes.check_order,
        case validated.reason_code
            when 'ambiguous_date'
                then 'A slash date that reads both day-first and month-first, in an export holding '
                    || 'both orders (set the var date_order): ' || {{ raw_dates }}
            when 'unparseable_date'
                then 'Not a date in activity_month/reg_date/ftd_date/qp_date: '
                    || {{ raw_dates }}
            when 'unparseable_amount'
                then 'Not a number in deposit/handle/NGR: '
                    || coalesce(validated.raw_total_deposit, '')
                    || ' / ' || coalesce(validated.raw_total_handle, '')
                    || ' / ' || coalesce(validated.raw_total_ngr, '')
            when 'invalid_brand_id'
                then 'brand_id ''' || coalesce(validated.raw_brand_id, '')
                    || ''' is not a known US state'
            when 'after_export_month'
                then 'activity_month ' || validated.raw_activity_month
                    || ' is after the export month'
            when 'implausible_date'
                then 'A date outside the plausible range in activity_month/reg_date/ftd_date/qp_date: '
                    || {{ raw_dates }}
            when 'before_data_start'
                then 'activity_month ' || validated.raw_activity_month
                    || ' is before the data start'
            else reason_codes.description
        end as reason,
        validated.source_file,
        validated.raw_partner_id,
        validated.raw_activity_month,
        validated.raw_account_id,
        validated.raw_brand_id,
        validated.raw_reg_date,
        validated.raw_ftd_date,
        validated.raw_qp_date,
        validated.raw_ben_login_id,
        validated.raw_tracker_id,
        validated.raw_player_reg_product,
        validated.raw_total_deposit,
        validated.raw_total_handle,
        validated.raw_total_ngr
    from validated
    left join reason_codes
        on validated.reason_code = reason_codes.reason_code

)

select * from final
