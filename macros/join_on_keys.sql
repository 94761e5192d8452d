{#- `left.k1 = right.k1 and left.k2 = right.k2 ...` for a list of key columns. -#}
{% macro join_on_keys(left, right, keys) -%}
    {%- for key in keys -%}
        {{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %} and {% endif %}
    {%- endfor -%}
{%- endmacro %}
