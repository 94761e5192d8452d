{#- Parsing of the partner's text fields. Exports arrive as text (dates as text, money with cents);
    a value that cannot be parsed becomes null, and the validation layer quarantines the row. -#}

{% macro parse_date(text_column) -%}
    {{ return(adapter.dispatch('parse_date', 'churn')(text_column)) }}
{%- endmacro %}

{% macro default__parse_date(text_column) -%}
    cast(nullif(trim({{ text_column }}), '') as date)
{%- endmacro %}

{% macro duckdb__parse_date(text_column) -%}
    coalesce(
        try_cast(nullif(trim({{ text_column }}), '') as date),
        try_strptime(nullif(trim({{ text_column }}), ''), '%m/%d/%Y')::date,
        try_strptime(nullif(trim({{ text_column }}), ''), '%Y-%m')::date
    )
{%- endmacro %}

{% macro spark__parse_date(text_column) -%}
    coalesce(
        try_to_date(nullif(trim({{ text_column }}), ''), 'yyyy-MM-dd'),
        try_to_date(nullif(trim({{ text_column }}), ''), 'MM/dd/yyyy'),
        try_to_date(nullif(trim({{ text_column }}), ''), 'yyyy-MM')
    )
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
