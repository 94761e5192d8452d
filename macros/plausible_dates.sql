{#- A SQL predicate: the date column lies in the plausible range, on or after `earliest` (a SQL date
    expression) and finite. DuckDB parses `infinity` as a date later than every real one; no partner
    means it, so it is never plausible. The one range check of activity months (the data window
    and the row verdicts use it). -#}
{% macro is_plausible_date(column, earliest) -%}
    ({{ column }} >= {{ earliest }} and {{ column }} <= cast('9999-12-31' as date))
{%- endmacro %}
