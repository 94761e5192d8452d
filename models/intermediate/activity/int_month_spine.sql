{#- One row per calendar month of the data window, the backbone of the dense panel. -#}
{%- set window_query -%}
    select data_start_month, export_month from {{ ref('int_export_window') }}
{%- endset -%}
{#- A compile without a built window (`dbt compile` or sqlfluff on a fresh clone) gets a one-month
    placeholder; a build always has it, as int_export_window runs first. -#}
{%- if execute and load_relation(ref('int_export_window')) is not none -%}
    {%- set window_row = run_query(window_query).rows[0] -%}
    {%- set start_month = window_row[0] -%}
    {%- set end_month = window_row[1] -%}
{%- else -%}
    {%- set start_month = '2019-01-01' -%}
    {%- set end_month = '2019-01-01' -%}
{%- endif %}

with spine as (

    {{ dbt.date_spine(
        'month',
        "cast('" ~ start_month ~ "' as date)",
        dbt.dateadd('month', 1, "cast('" ~ end_month ~ "' as date)")
    ) }})

select cast(date_month as date) as month_start
from spine
