{#- Vars that reach SQL, checked before they do: a value that fails stops the build with a sentence
    naming the var. Text goes into SQL only through sql_literal (quoted, escaped); ids only after
    matching their documented character set; numbers and months only once parsed. -#}

{#- A SQL string literal holding `value`, escaped for the adapter. -#}
{% macro sql_literal(value) -%}
    {{ return(adapter.dispatch('sql_literal', 'churn')(value)) }}
{%- endmacro %}

{% macro default__sql_literal(value) -%}
    {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
{%- endmacro %}

{#- Spark reads backslashes in string literals as escapes: double them first. -#}
{% macro spark__sql_literal(value) -%}
    {{ return("'" ~ (value | string).replace("\\", "\\\\").replace("'", "\\'") ~ "'") }}
{%- endmacro %}

{#- A var's value as it reads in an error sentence: JSON-quoted, so a newline cannot forge a log
    line, with quotes and <, >, & as typed (dbt's tojson(); the Jinja filter writes \u0027). -#}
{% macro quoted_value(value) -%}
    {{ return(tojson(value | string)) }}
{%- endmacro %}

{#- Partner ids: 1 to 64 letters, digits, '_' or '-' (they also name export folders). -#}
{% macro partner_id_pattern() -%}
    {{ return('^[A-Za-z0-9_-]{1,64}$') }}
{%- endmacro %}

{#- The var `partner_id` for exports without a partner_id column; '' when not given. -#}
{% macro partner_id_var() -%}
    {%- set value = var('partner_id', '') -%}
    {%- set value = '' if value is none else (value | string) -%}
    {%- if value != '' and not modules.re.match(partner_id_pattern(), value) -%}
        {{ exceptions.raise_compiler_error(
            "The var partner_id must be 1 to 64 letters, digits, '_' or '-' (got " ~ quoted_value(value)
            ~ "): it becomes part of SQL and of export folder names.") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- A month var given as YYYY-MM or YYYY-MM-DD, returned as 'YYYY-MM-01' ('' when empty). -#}
{% macro month_var(name) -%}
    {%- set value = var(name, '') -%}
    {%- set text = '' if value is none else (value | string) | trim -%}
    {%- if text == '' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})(-([0-9]{2}))?$', text) -%}
    {%- set parsed = none -%}
    {%- if match -%}
        {%- set day = (match.group(4) or '01') | int -%}
        {%- set year = match.group(1) | int -%}
        {%- set month = match.group(2) | int -%}
        {%- if 1 <= month <= 12 and 1 <= day <= 31 -%}
            {#- Day checked against the month by building the date (Feb 30 is refused). -#}
            {%- set last_day = (modules.datetime.date(year + (month // 12), month % 12 + 1, 1)
                - modules.datetime.timedelta(days=1)).day -%}
            {%- if day <= last_day -%}
                {%- set parsed = modules.datetime.date(year, month, 1) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if parsed is none -%}
        {{ exceptions.raise_compiler_error(
            "The var " ~ name ~ " must be a month as YYYY-MM or a date as YYYY-MM-DD (got "
            ~ quoted_value(text) ~ ").") }}
    {%- endif -%}
    {{ return(parsed.isoformat()) }}
{%- endmacro %}

{#- A date var given as YYYY-MM-DD, returned as text. -#}
{% macro date_var(name) -%}
    {%- set text = var(name) | string | trim -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})$', text) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "The var " ~ name ~ " must be a date as YYYY-MM-DD (got " ~ quoted_value(text) ~ ").") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- A numeric var within [minimum, maximum]; integer=true refuses fractions. -#}
{% macro number_var(name, minimum=none, maximum=none, integer=false) -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '^[0-9]+$' if integer else '^[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$' -%}
    {%- set bounds = [] -%}
    {%- if minimum is not none -%}{%- do bounds.append('at least ' ~ minimum) -%}{%- endif -%}
    {%- if maximum is not none -%}{%- do bounds.append('at most ' ~ maximum) -%}{%- endif -%}
    {%- set wanted = ('a whole number' if integer else 'a number')
        ~ ((' ' ~ bounds | join(' and ')) if bounds else '') -%}
    {%- if value is boolean or not modules.re.match(pattern, text) -%}
        {{ exceptions.raise_compiler_error(
            "The var " ~ name ~ " must be " ~ wanted ~ " (got " ~ quoted_value(text) ~ ").") }}
    {%- endif -%}
    {%- set number = (text | int) if integer else (text | float) -%}
    {%- if (minimum is not none and number < minimum) or (maximum is not none and number > maximum) -%}
        {{ exceptions.raise_compiler_error(
            "The var " ~ name ~ " must be " ~ wanted ~ " (got " ~ text ~ ").") }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}

{#- K of the churn rule: the var `churn_inactive_months`, a whole number of months >= 1. Every model
    and macro that applies the churn rule reads it here. -#}
{% macro churn_inactive_months() -%}
    {{ return(number_var('churn_inactive_months', minimum=1, integer=true)) }}
{%- endmacro %}

{#- A var holding a list of non-empty strings (a single string counts as a list of one). -#}
{% macro text_list_var(name) -%}
    {%- set value = var(name) -%}
    {%- set values = [value] if value is string else value -%}
    {%- if values is not iterable or values is mapping -%}
        {{ exceptions.raise_compiler_error("The var " ~ name ~ " must be a list of non-empty text values.") }}
    {%- endif -%}
    {%- for item in values -%}
        {%- if item is not string or item | trim == '' -%}
            {{ exceptions.raise_compiler_error(
                "The var " ~ name ~ " must be a list of non-empty text values (got " ~ quoted_value(item) ~ ").") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(values | list) }}
{%- endmacro %}

{#- True when a partner id column holds a valid id (see partner_id_pattern). -#}
{% macro is_valid_partner_id(column) -%}
    {{ return(adapter.dispatch('is_valid_partner_id', 'churn')(column)) }}
{%- endmacro %}

{% macro default__is_valid_partner_id(column) -%}
    regexp_like({{ column }}, {{ sql_literal(partner_id_pattern()) }})
{%- endmacro %}

{% macro duckdb__is_valid_partner_id(column) -%}
    regexp_matches({{ column }}, {{ sql_literal(partner_id_pattern()) }})
{%- endmacro %}

{% macro spark__is_valid_partner_id(column) -%}
    {{ column }} rlike {{ sql_literal(partner_id_pattern()) }}
{%- endmacro %}
