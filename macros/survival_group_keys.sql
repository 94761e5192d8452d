{#- The columns that name one survival life table: the data end it is seen from, the pooling level
    and partition, and the segment. -#}
{% macro survival_group_keys() -%}
    {{ return(['cutoff_offset_months', 'outcome_as_of', 'pooling_level', 'partner_id', 'geo',
               'segment_type', 'segment_value']) }}
{%- endmacro %}
