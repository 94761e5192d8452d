{#- THE survival outcome of each player as seen at a cutoff: the one definition behind
    fct_player_lifetimes (cutoff = the export month) and the backtest cutoffs of
    int_survival__observations.

    panel: a relation with the panel's player_id, activity_month, months_active, is_active and
    is_churn_start (fct_player_months). cutoffs: a relation with cutoff_offset_months and
    cutoff_month. Only panel months on or before a cutoff are seen from it.

    Returns a select statement with one row per cutoff and player: cutoff_offset_months,
    cutoff_month, player_id, entry_month, followup_months, last_active_month, is_churned,
    survival_months, duration_months. Discrete months, K = var `churn_inactive_months`:
    - a churn at month t (T = t = L + 1) is seen once its K inactive months t..t+K-1 lie on or
      before the cutoff; the churn month is flagged in the full panel (is_churn_start), and the
      full panel agrees with the cutoff's data on every churn the cutoff can decide;
    - a player with no churn seen is right-censored: known churn-free in every month t <= L, but a
      churn is decidable only for t <= followup - K + 1, so the player leaves the risk set after
      min(L, followup - K + 1), never before entering it;
    - at risk in months entry_month + 1 .. duration_months. -#}
{% macro survival_outcome(panel, cutoffs) %}
    {%- set k = churn_inactive_months() -%}
    select
        seen.cutoff_offset_months,
        seen.cutoff_month,
        seen.player_id,
        seen.entry_month,
        seen.followup_months,
        seen.last_active_month,
        seen.is_churned,
        case when seen.is_churned then seen.first_churn_month end as survival_months,
        case
            when seen.is_churned then seen.first_churn_month
            -- Never active in the data (left-truncated): never known to be at risk.
            when seen.last_active_month is null then seen.entry_month
            when seen.followup_months - {{ k }} + 1 < seen.entry_month then seen.entry_month
            when seen.last_active_month < seen.followup_months - {{ k }} + 1
                then seen.last_active_month
            else seen.followup_months - {{ k }} + 1
        end as duration_months
    from (
        select
            per_cutoff.*,
            coalesce(per_cutoff.first_churn_month + {{ k }} - 1 <= per_cutoff.followup_months, false)
                as is_churned
        from (
            select
                {{ cutoffs }}.cutoff_offset_months,
                {{ cutoffs }}.cutoff_month,
                {{ panel }}.player_id,
                min({{ panel }}.months_active) as entry_month,
                -- months_active of the cutoff month: the player's largest months_active up to it.
                max({{ panel }}.months_active) as followup_months,
                max(case when {{ panel }}.is_active then {{ panel }}.months_active end)
                    as last_active_month,
                min(case when {{ panel }}.is_churn_start then {{ panel }}.months_active end)
                    as first_churn_month
            from {{ cutoffs }}
            inner join {{ panel }}
                on {{ panel }}.activity_month <= {{ cutoffs }}.cutoff_month
            group by
                {{ cutoffs }}.cutoff_offset_months, {{ cutoffs }}.cutoff_month, {{ panel }}.player_id
        ) as per_cutoff
    ) as seen
{% endmacro %}
