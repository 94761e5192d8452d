{#- Definitions the data-quality marts share, so the quarantine and the reconciliation count the
    same things. -#}

{#- The partner a data-quality count is kept under: the row's partner id, or '(missing)'. -#}
{% macro partner_or_missing(column) -%}
    coalesce({{ column }}, '(missing)')
{%- endmacro %}

{#- A SQL predicate: the row of `relation` names a player (a partner, an account and a known state),
    so the player is either kept (int_players) or listed in dq_quarantined_players. -#}
{% macro names_a_player(relation) -%}
    ({{ relation }}.partner_id is not null
        and {{ relation }}.account_id is not null
        and {{ relation }}.geo is not null)
{%- endmacro %}
