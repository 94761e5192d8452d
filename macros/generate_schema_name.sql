{#- Use the folder's schema name as is (staging, intermediate, marts, reference) so analysts
    query marts.fct_player_lifetimes rather than main_marts.fct_player_lifetimes. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
