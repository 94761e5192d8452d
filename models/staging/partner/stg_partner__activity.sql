{#- The export is read by the macro read_partner_export (each file checked on its own); the source
    is declared for lineage and documentation. -#}
-- depends_on: {{ source('partner', 'activity') }}
{% set required_columns = [
    'activity_month', 'account_id', 'brand_id', 'reg_date', 'ftd_date', 'qp_date',
    'ben_login_id', 'tracker_id', 'player_reg_product',
    'total_deposit', 'total_handle', 'total_ngr'] -%}

with source_rows as (

    {{ read_partner_export(required_columns) }}

),

numbered as (

    -- A stable id for every raw row (file by file, in file order), so each one can be traced to
    -- the clean table or the quarantine.
    select
        row_number() over (
            order by source_rows.source_file_index, source_rows.file_row_number
        ) as raw_row_id,
        source_rows.*
    from source_rows

),

product_labels as (

    select
        raw_label,
        product
    from {{ ref('product_label_map') }}

),

states as (

    select
        state_code,
        upper(state_name) as state_name_upper
    from {{ ref('state_launch_months') }}

),

parsed as (

    select
        numbered.*,
        -- A file without a partner_id column takes the var (validated); an empty cell stays empty.
        case
            when numbered.is_partner_id_from_var then {{ sql_literal(partner_id_var()) }}
            else nullif(trim(numbered.raw_partner_id), '')
        end as partner_id,
        nullif(trim(numbered.raw_account_id), '') as account_id,
        upper(nullif(trim(numbered.raw_brand_id), '')) as brand_code,
        {{ parse_date('raw_activity_month') }} as activity_date,
        {{ parse_date('raw_reg_date') }} as reg_date,
        {{ parse_date('raw_ftd_date') }} as ftd_date,
        {{ parse_date('raw_qp_date') }} as qp_date,
        nullif(trim(numbered.raw_ben_login_id), '') as ben_login_id,
        nullif(trim(numbered.raw_tracker_id), '') as tracker_id,
        {{ label_key('raw_player_reg_product') }} as product_label_key,
        {{ parse_amount('raw_total_deposit') }} as total_deposit,
        {{ parse_amount('raw_total_handle') }} as total_handle,
        {{ parse_amount('raw_total_ngr') }} as total_ngr
    from numbered

),

final as (

    select
        parsed.raw_row_id,
        parsed.source_file,
        parsed.file_row_number,
        parsed.partner_id,
        parsed.account_id,
        -- The brand is the state: codes are upper-cased and trimmed, full state names accepted.
        coalesce(states_by_code.state_code, states_by_name.state_code) as geo,
        cast({{ dbt.date_trunc('month', 'parsed.activity_date') }} as date) as activity_month,
        parsed.reg_date,
        parsed.ftd_date,
        parsed.qp_date,
        parsed.ben_login_id,
        parsed.tracker_id,
        case
            when parsed.product_label_key is null then 'unknown'
            else coalesce(product_labels.product, 'other')
        end as product,
        parsed.total_deposit,
        parsed.total_handle,
        parsed.total_ngr,
        -- What the partner sent, kept for the quarantine and for parse checks.
        parsed.raw_partner_id,
        parsed.raw_activity_month,
        parsed.raw_account_id,
        parsed.raw_brand_id,
        parsed.raw_reg_date,
        parsed.raw_ftd_date,
        parsed.raw_qp_date,
        parsed.raw_ben_login_id,
        parsed.raw_tracker_id,
        parsed.raw_player_reg_product,
        parsed.raw_total_deposit,
        parsed.raw_total_handle,
        parsed.raw_total_ngr
    from parsed
    left join states as states_by_code
        on parsed.brand_code = states_by_code.state_code
    left join states as states_by_name
        on parsed.brand_code = states_by_name.state_name_upper
    left join product_labels
        on parsed.product_label_key = product_labels.raw_label

)

select * from final
