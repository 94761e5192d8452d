{#- Reads the column names of a relation or table function and stops the build with an error that
    names every required column the export lacks. Returns the lower-cased column names. -#}
{% macro require_columns(relation, required_columns) %}
    {%- if not execute -%}
        {{ return(required_columns) }}
    {%- endif -%}
    {%- set probe = run_query('select * from ' ~ relation ~ ' limit 0') -%}
    {%- set present = probe.column_names | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in required_columns if column not in present -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "The partner export at '" ~ var('raw_activity_path') ~ "' is missing required column(s): "
            ~ missing | join(', ') ~ ". Columns found: " ~ present | join(', ') ~ ".") }}
    {%- endif -%}
    {{ return(present) }}
{% endmacro %}
