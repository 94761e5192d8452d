{#- A number for every row of a relation in the order it is read (its file order for a single
    export file): the stable raw row id. DuckDB numbers an unordered window in scan order; Spark
    requires an order, given by its monotonically increasing row id (file order within a file). -#}
{% macro source_row_number() -%}
    {{ return(adapter.dispatch('source_row_number', 'churn')()) }}
{%- endmacro %}

{% macro default__source_row_number() -%}
    row_number() over ()
{%- endmacro %}

{% macro spark__source_row_number() -%}
    row_number() over (order by monotonically_increasing_id())
{%- endmacro %}
