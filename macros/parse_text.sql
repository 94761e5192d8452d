{#- Parsing of the partner's text fields. Exports arrive as text (dates as text, money with cents);
    a value that cannot be parsed becomes null, and the validation layer quarantines the row. -#}

{#- The var `date_order`: how slash dates (05/03/2023) read. 'auto' decides per export from the
    values that read one way only (stg_partner__activity); 'mdy' and 'dmy' force the order. -#}
{% macro date_order_var() -%}
    {%- set value = var('date_order', 'auto') -%}
    {%- set text = '' if value is none else (value | string) | trim | lower -%}
    {%- if text not in ('auto', 'mdy', 'dmy') -%}
        {{ exceptions.raise_compiler_error(
            "The var date_order must be auto, mdy (month first: 03/31/2023) or dmy (day first: "
            ~ "31/03/2023) (got " ~ quoted_value(value) ~ ").") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- A partner's date text as a date: YYYY-MM-DD, a slash date DD/MM/YYYY or MM/DD/YYYY, or YYYY-MM.
    `date_order` is a SQL expression: 'mdy' or 'dmy' read every slash date that way; 'mixed' (the
    export holds both orders) reads a slash date only when it reads one way (31/01/2023) or both
    ways give the same day (05/05/2023), and leaves the others null. -#}
{% macro parse_date(text_column, date_order="'mdy'") -%}
    {%- set day_first = slash_date(text_column, 'dmy') -%}
    {%- set month_first = slash_date(text_column, 'mdy') -%}
    coalesce(
        {{ iso_date(text_column) }},
        case {{ date_order }}
            when 'dmy' then {{ day_first }}
            when 'mdy' then {{ month_first }}
            when 'mixed' then case
                when {{ day_first }} is null then {{ month_first }}
                when {{ month_first }} is null or {{ day_first }} = {{ month_first }}
                    then {{ day_first }}
            end
        end,
        {{ year_month_date(text_column) }}
    )
{%- endmacro %}

{#- True when a text reads as a slash date both ways, giving different days (05/03/2023). -#}
{% macro is_ambiguous_slash_date(text_column) -%}
    coalesce({{ slash_date(text_column, 'dmy') }} <> {{ slash_date(text_column, 'mdy') }}, false)
{%- endmacro %}

{#- 1 when a text reads as a slash date in the given order only ('mdy' or 'dmy'), else 0. -#}
{% macro reads_only_as(text_column, order) -%}
    {%- set other = 'mdy' if order == 'dmy' else 'dmy' -%}
    case
        when {{ slash_date(text_column, order) }} is not null
            and {{ slash_date(text_column, other) }} is null then 1
        else 0
    end
{%- endmacro %}

{#- The date columns whose count column (`prefix` + column name) is above zero, as one text
    ('reg_date, ftd_date'); the columns that said which order an export's slash dates have. -#}
{% macro columns_with_evidence(count_prefix) -%}
    concat_ws(', '
    {%- for column in ['activity_month', 'reg_date', 'ftd_date', 'qp_date'] %},
        case when {{ count_prefix ~ column }} > 0 then {{ sql_literal(column) }} end
    {%- endfor %})
{%- endmacro %}

{#- A slash date read in the given order ('mdy' or 'dmy'), null when it does not read so. -#}
{% macro slash_date(text_column, order) -%}
    {{ return(adapter.dispatch('slash_date', 'churn')(text_column, order)) }}
{%- endmacro %}

{% macro duckdb__slash_date(text_column, order) -%}
    {%- set format = '%d/%m/%Y' if order == 'dmy' else '%m/%d/%Y' -%}
    {#- try_strptime is slow even where it fails: text without a slash skips it (the evidence for
        the date order reads every date twice; on ISO exports that was most of the staging). -#}
    case
        when contains({{ text_column }}, '/')
            then try_strptime(nullif(trim({{ text_column }}), ''), '{{ format }}')::date
    end
{%- endmacro %}

{% macro spark__slash_date(text_column, order) -%}
    {%- set format = 'dd/MM/yyyy' if order == 'dmy' else 'MM/dd/yyyy' -%}
    try_to_date(nullif(trim({{ text_column }}), ''), '{{ format }}')
{%- endmacro %}

{#- An ISO date (YYYY-MM-DD), null when the text is not one. -#}
{% macro iso_date(text_column) -%}
    {{ return(adapter.dispatch('iso_date', 'churn')(text_column)) }}
{%- endmacro %}

{% macro duckdb__iso_date(text_column) -%}
    try_cast(nullif(trim({{ text_column }}), '') as date)
{%- endmacro %}

{% macro spark__iso_date(text_column) -%}
    try_to_date(nullif(trim({{ text_column }}), ''), 'yyyy-MM-dd')
{%- endmacro %}

{#- A month written YYYY-MM as its first day, null when the text is not one. -#}
{% macro year_month_date(text_column) -%}
    {{ return(adapter.dispatch('year_month_date', 'churn')(text_column)) }}
{%- endmacro %}

{% macro duckdb__year_month_date(text_column) -%}
    try_strptime(nullif(trim({{ text_column }}), ''), '%Y-%m')::date
{%- endmacro %}

{% macro spark__year_month_date(text_column) -%}
    try_to_date(nullif(trim({{ text_column }}), ''), 'yyyy-MM')
{%- endmacro %}

{#- Money: strips a currency sign, and commas only where they are thousands separators
    (1,234.56); anything else with a comma (1.234,56, 1,2O0.00) stays unparseable. -#}
{% macro parse_amount(text_column) -%}
    {{ return(adapter.dispatch('parse_amount', 'churn')(text_column)) }}
{%- endmacro %}

{% macro default__parse_amount(text_column) -%}
    cast(replace(nullif(trim({{ text_column }}), ''), '$', '') as decimal(18, 2))
{%- endmacro %}

{% macro duckdb__parse_amount(text_column) -%}
    {%- set text = "replace(nullif(trim(" ~ text_column ~ "), ''), '$', '')" -%}
    try_cast(case
        when regexp_full_match({{ text }}, '-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?')
            then replace({{ text }}, ',', '')
        else {{ text }}
    end as decimal(18, 2))
{%- endmacro %}

{% macro spark__parse_amount(text_column) -%}
    {%- set text = "replace(nullif(trim(" ~ text_column ~ "), ''), '$', '')" -%}
    try_cast(case
        when {{ text }} rlike '^-?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]+)?$'
            then replace({{ text }}, ',', '')
        else {{ text }}
    end as decimal(18, 2))
{%- endmacro %}

{#- Label key used to match the product label map: lower case, '-'/'_' as spaces, single spaces. -#}
{% macro label_key(text_column) -%}
    {{ return(adapter.dispatch('label_key', 'churn')(text_column)) }}
{%- endmacro %}

{% macro default__label_key(text_column) -%}
    nullif(trim(regexp_replace(lower(replace(replace({{ text_column }}, '-', ' '), '_', ' ')), '\\s+', ' ')), '')
{%- endmacro %}

{% macro duckdb__label_key(text_column) -%}
    nullif(trim(regexp_replace(lower(replace(replace({{ text_column }}, '-', ' '), '_', ' ')), '\s+', ' ', 'g')), '')
{%- endmacro %}
