{#- Whole months from the month of the first deposit to the activity month: 0 in the FTD month,
    negative when activity precedes the FTD (a flagged data problem, never an error). -#}
{% macro months_active(ftd_date, activity_month) -%}
    {{ dbt.datediff(dbt.date_trunc('month', ftd_date), dbt.date_trunc('month', activity_month), 'month') }}
{%- endmacro %}
