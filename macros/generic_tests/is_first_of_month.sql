{#- Month columns hold the first day of their month. -#}
{% test is_first_of_month(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and {{ column_name }} <> cast({{ dbt.date_trunc('month', column_name) }} as date)
{% endtest %}
