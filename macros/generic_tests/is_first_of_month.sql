{#- Month columns hold the first day of their month. The cast keeps the test valid on an empty
    model whose column has no type yet (NULL-typed in DuckDB). -#}
{% test is_first_of_month(model, column_name) %}
{%- set month_value = 'cast(' ~ column_name ~ ' as date)' -%}
select *
from {{ model }}
where {{ column_name }} is not null
  and {{ month_value }} <> cast({{ dbt.date_trunc('month', month_value) }} as date)
{% endtest %}
