{#- z for two-sided 95% intervals, scipy.stats.norm.ppf(0.975) to full double precision. -#}
{% macro normal_quantile_975() -%}
    1.959963984540054
{%- endmacro %}
