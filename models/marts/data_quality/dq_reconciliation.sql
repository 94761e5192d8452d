{#- Per partner: raw rows = clean rows + quarantined rows, with the quarantine split by reason.
    A data test fails the build when a partner does not balance. -#}
{%- set reasons = ['missing_key', 'unparseable_date', 'unparseable_amount', 'test_account',
                   'missing_ftd_date', 'invalid_brand_id', 'after_export_month',
                   'all_zero_activity', 'duplicate'] -%}

with raw_rows as (

    select coalesce(partner_id, '(missing)') as partner_id, count(*) as n_raw_rows
    from {{ ref('stg_partner__activity') }}
    group by coalesce(partner_id, '(missing)')

),

clean_rows as (

    select partner_id, count(*) as n_clean_rows
    from {{ ref('int_activity__clean') }}
    group by partner_id

),

quarantined_rows as (

    select
        partner_id,
        count(*) as n_quarantined_rows
        {%- for reason in reasons %},
        count(case when reason_code = '{{ reason }}' then 1 end) as n_{{ reason }}
        {%- endfor %}
    from {{ ref('dq_quarantine') }}
    group by partner_id

),

final as (

    select
        raw_rows.partner_id,
        raw_rows.n_raw_rows,
        coalesce(clean_rows.n_clean_rows, 0) as n_clean_rows,
        coalesce(quarantined_rows.n_quarantined_rows, 0) as n_quarantined_rows,
        {%- for reason in reasons %}
        coalesce(quarantined_rows.n_{{ reason }}, 0) as n_{{ reason }},
        {%- endfor %}
        raw_rows.n_raw_rows = coalesce(clean_rows.n_clean_rows, 0)
            + coalesce(quarantined_rows.n_quarantined_rows, 0) as is_balanced
    from raw_rows
    left join clean_rows
        on raw_rows.partner_id = clean_rows.partner_id
    left join quarantined_rows
        on raw_rows.partner_id = quarantined_rows.partner_id

)

select * from final
