{#- The export is read by the macro read_partner_export (each file checked on its own); the source
    is declared for lineage and documentation. -#}
-- depends_on: {{ source('partner', 'activity') }}
{% set required_columns = [
    'activity_month', 'account_id', 'brand_id', 'reg_date', 'ftd_date', 'qp_date',
    'ben_login_id', 'tracker_id', 'player_reg_product',
    'total_deposit', 'total_handle', 'total_ngr'] -%}
{% set forced_date_order = sql_literal(date_order_var()) -%}

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

date_order_evidence as (

    -- Slash dates that read one way only, per column: 31/01/2023 is day-first, 01/31/2023
    -- month-first; 05/03/2023 reads both ways and decides nothing.
    select
        sum({{ reads_only_as('raw_activity_month', 'dmy') }}) as n_day_first_activity_month,
        sum({{ reads_only_as('raw_reg_date', 'dmy') }}) as n_day_first_reg_date,
        sum({{ reads_only_as('raw_ftd_date', 'dmy') }}) as n_day_first_ftd_date,
        sum({{ reads_only_as('raw_qp_date', 'dmy') }}) as n_day_first_qp_date,
        sum({{ reads_only_as('raw_activity_month', 'mdy') }}) as n_month_first_activity_month,
        sum({{ reads_only_as('raw_reg_date', 'mdy') }}) as n_month_first_reg_date,
        sum({{ reads_only_as('raw_ftd_date', 'mdy') }}) as n_month_first_ftd_date,
        sum({{ reads_only_as('raw_qp_date', 'mdy') }}) as n_month_first_qp_date
    from numbered

),

date_order_totals as (

    select
        coalesce(
            n_day_first_activity_month + n_day_first_reg_date + n_day_first_ftd_date
            + n_day_first_qp_date, 0
        ) as n_day_first,
        coalesce(
            n_month_first_activity_month + n_month_first_reg_date + n_month_first_ftd_date
            + n_month_first_qp_date, 0
        ) as n_month_first,
        {{ columns_with_evidence('n_day_first_') }} as day_first_columns,
        {{ columns_with_evidence('n_month_first_') }} as month_first_columns
    from date_order_evidence

),

evidence_text as (

    -- The counts behind the decision, for the sentence.
    select
        *,
        case
            when n_day_first + n_month_first > 0
                then '; slash dates that read only day-first: '
                    || cast(n_day_first as {{ dbt.type_string() }})
                    || case when n_day_first > 0 then ' (' || day_first_columns || ')' else '' end
                    || ', only month-first: '
                    || cast(n_month_first as {{ dbt.type_string() }})
                    || case
                        when n_month_first > 0 then ' (' || month_first_columns || ')' else ''
                    end
            else ''
        end as evidence
    from date_order_totals

),

date_order as (

    -- The export's order of slash dates: the var when forced, else what the values say. An export
    -- holding both orders reads only the slash dates that read one way; the rows with one that
    -- reads both ways are quarantined (ambiguous_date). A few strays against the order of all
    -- the others (at most 1% of the dates that read one way) are typos, not a second order: the
    -- majority decides and the strays are unparseable_date, rather than most of a month-first
    -- export (every MM/01/YYYY month reads both ways) going to the quarantine as ambiguous.
    select
        case
            when {{ forced_date_order }} <> 'auto' then {{ forced_date_order }}
            when least(n_day_first, n_month_first) > 0.01 * (n_day_first + n_month_first)
                then 'mixed'
            when n_day_first > n_month_first then 'dmy'
            else 'mdy'
        end as date_order,
        case
            when {{ forced_date_order }} <> 'auto' then 'set by the var date_order'
            when least(n_day_first, n_month_first) > 0.01 * (n_day_first + n_month_first)
                then 'both orders occur: the slash dates that read both ways are quarantined '
                    || '(ambiguous_date)'
            when n_day_first > n_month_first and n_month_first > 0
                then 'day first: the few slash dates that read only month-first (at most 1% of '
                    || 'those that read one way) are unparseable_date'
            when n_month_first > n_day_first and n_day_first > 0
                then 'month first: the few slash dates that read only day-first (at most 1% of '
                    || 'those that read one way) are unparseable_date'
            when n_day_first > 0 then 'day first: no slash date reads only month-first'
            when n_month_first > 0 then 'month first: no slash date reads only day-first'
            else 'month first (assumed: no slash date reads one way only)'
        end || evidence as date_order_basis
    from evidence_text

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
        {{ parse_date('raw_activity_month', 'date_order.date_order') }} as activity_date,
        {{ parse_date('raw_reg_date', 'date_order.date_order') }} as reg_date,
        {{ parse_date('raw_ftd_date', 'date_order.date_order') }} as ftd_date,
        {{ parse_date('raw_qp_date', 'date_order.date_order') }} as qp_date,
        date_order.date_order,
        date_order.date_order_basis,
        date_order.date_order = 'mixed' and (
            {{ is_ambiguous_slash_date('numbered.raw_activity_month') }}
            or {{ is_ambiguous_slash_date('numbered.raw_reg_date') }}
            or {{ is_ambiguous_slash_date('numbered.raw_ftd_date') }}
            or {{ is_ambiguous_slash_date('numbered.raw_qp_date') }}
        ) as has_ambiguous_date,
        nullif(trim(numbered.raw_ben_login_id), '') as ben_login_id,
        nullif(trim(numbered.raw_tracker_id), '') as tracker_id,
        {{ label_key('raw_player_reg_product') }} as product_label_key,
        {{ parse_amount('raw_total_deposit') }} as total_deposit,
        {{ parse_amount('raw_total_handle') }} as total_handle,
        {{ parse_amount('raw_total_ngr') }} as total_ngr
    from numbered
    cross join date_order

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
        parsed.date_order,
        parsed.date_order_basis,
        parsed.has_ambiguous_date,
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
