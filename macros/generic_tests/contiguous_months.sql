{#- Within each group the months form an unbroken sequence: consecutive rows are one month apart,
    so a dense panel has no holes. -#}
{% test contiguous_months(model, column_name, group_by_columns) %}
with ordered as (
    select
        {{ group_by_columns | join(', ') }},
        {{ column_name }} as month_value,
        lag({{ column_name }}) over (
            partition by {{ group_by_columns | join(', ') }} order by {{ column_name }}
        ) as previous_month_value
    from {{ model }}
)

select *
from ordered
where previous_month_value is not null
  and {{ dbt.datediff('previous_month_value', 'month_value', 'month') }} <> 1
{% endtest %}
