{#- A floating-point sum that does not depend on the order threads add the terms in: each term is
    rounded to a fixed-point decimal (18 decimals) and the decimals are summed exactly, then the
    total is turned back into a double. For sums that a decision or a build-to-build comparison
    hangs on (the pooling's group-by sums, which feed the pooled hazards and the tail choice).
    `window`: an optional window name or definition. Terms must stay below 1e20 in size. -#}
{% macro exact_sum(expression, window=none) -%}
    {{ return(adapter.dispatch('exact_sum', 'churn')(expression, window)) }}
{%- endmacro %}

{% macro default__exact_sum(expression, window) -%}
    cast(sum(cast({{ expression }} as decimal(38, 18))){% if window %} over {{ window }}{% endif %} as double)
{%- endmacro %}
