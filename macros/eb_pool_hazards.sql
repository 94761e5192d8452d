{#- Empirical-Bayes shrinkage of a child's monthly hazards toward its parent's, in two steps.
    1. Level: the child's overall relative risk against the parent's hazards, observed / expected
       churn events, shrunk by gamma-Poisson: RR = (O + a) / (E + a), with the prior a estimated
       by the method of moments from the children's spread. A partition that churns faster than its
       partner in every month keeps that difference instead of being pulled back month by month.
    2. Shape: each month's hazard shrinks toward the prior mean h0_t = parent pooled hazard x RR with
       strength m_t = 1 / (tau^2 h0_t (1 - h0_t)) - 1 (a residual spread tau^2 on the log-odds
       scale, by moments, one per band of months): pooled hazard = (events + m_t h0_t) / (at risk + m_t),
       own-data weight n / (n + m_t).
    children: group keys, month_number, n_at_risk, n_events, parent_partner_id, parent_geo.
    parents: keys, parent_n_at_risk, parent_raw_hazard (the children's pooled data),
    parent_hazard (the parent's own pooled hazard) and parent_prior_strength (its own m). -#}
{% macro eb_pool_hazards(children, parents) %}
    {%- set parent_keys = ['cutoff_offset_months', 'parent_partner_id', 'parent_geo', 'segment_type', 'segment_value'] -%}
    joined as (
        select
            {{ children }}.*,
            {{ parents }}.parent_n_at_risk,
            {{ parents }}.parent_raw_hazard,
            {{ parents }}.parent_hazard,
            {{ parents }}.parent_prior_strength
        from {{ children }}
        inner join {{ parents }}
            on {{ children }}.cutoff_offset_months = {{ parents }}.cutoff_offset_months
            and {{ children }}.parent_partner_id = {{ parents }}.partner_id
            and {{ children }}.parent_geo = {{ parents }}.geo
            and {{ children }}.segment_type = {{ parents }}.segment_type
            and {{ children }}.segment_value = {{ parents }}.segment_value
            and {{ children }}.month_number = {{ parents }}.month_number
    ),

    child_totals as (
        select
            {{ parent_keys | join(', ') }}, partner_id, geo,
            sum(n_events) as observed_events,
            sum(n_at_risk * parent_raw_hazard) as expected_events,
            -- The child's share of its parent's expected events: a child that is most of its
            -- parent cannot differ much from it.
            sum(n_at_risk * parent_raw_hazard) / nullif(sum(parent_n_at_risk * parent_raw_hazard), 0)
                as parent_share
        from joined
        where n_at_risk > 0 and parent_raw_hazard > 0
        group by {{ parent_keys | join(', ') }}, partner_id, geo
    ),

    level_spread as (
        -- 1 / a: the variance of the children's true relative risks (observed / expected ratios
        -- spread beyond their Poisson noise).
        select
            {{ parent_keys | join(', ') }},
            greatest(0, sum(expected_events * (
                power(observed_events / expected_events - 1, 2)
                - (1 - parent_share) / expected_events)))
                / nullif(sum(expected_events * (1 - parent_share)), 0) as relative_risk_variance
        from child_totals
        where expected_events > 0
        group by {{ parent_keys | join(', ') }}
    ),

    child_levels as (
        select
            {% for key in parent_keys %}child_totals.{{ key }}, {% endfor %}
            child_totals.partner_id,
            child_totals.geo,
            -- (O + a) / (E + a) written with 1 / a, so no spread (1 / a = 0) means RR = 1.
            (child_totals.observed_events * coalesce(level_spread.relative_risk_variance, 0) + 1)
                / (child_totals.expected_events * coalesce(level_spread.relative_risk_variance, 0) + 1)
                as relative_risk,
            -- Posterior variance of log RR, 1 / (O + a): the level's share of the band.
            coalesce(level_spread.relative_risk_variance, 0)
                / (child_totals.observed_events * coalesce(level_spread.relative_risk_variance, 0) + 1)
                as relative_risk_log_variance
        from child_totals
        left join level_spread
            on {{ join_on_keys('child_totals', 'level_spread', parent_keys) }}
    ),

    with_level as (
        select
            joined.*,
            coalesce(child_levels.relative_risk, 1) as relative_risk,
            coalesce(child_levels.relative_risk_log_variance, 0) as relative_risk_log_variance,
            least(0.999, joined.parent_raw_hazard * coalesce(child_levels.relative_risk, 1)) as raw_prior_mean,
            least(0.999, joined.parent_hazard * coalesce(child_levels.relative_risk, 1)) as prior_mean
        from joined
        left join child_levels
            on {{ join_on_keys('joined', 'child_levels', parent_keys + ['partner_id', 'geo']) }}
    ),

    shape_spread as (
        -- tau^2: squared deviations from the level-adjusted parent minus binomial noise, in units
        -- of (h (1 - h))^2, weighted by the child's at-risk count; one per band of months, since
        -- children's curves drift apart in shape as their player mixes thin out differently.
        select
            {{ parent_keys | join(', ') }},
            {{ month_band('month_number') }} as month_band,
            greatest(0, sum(n_at_risk * (
                power(cast(n_events as double) / n_at_risk - raw_prior_mean, 2)
                - (1 - cast(n_at_risk as double) / parent_n_at_risk)
                    * raw_prior_mean * (1 - raw_prior_mean) / n_at_risk)))
                / nullif(sum(n_at_risk * (1 - cast(n_at_risk as double) / parent_n_at_risk)
                    * power(raw_prior_mean * (1 - raw_prior_mean), 2)), 0) as logit_spread_squared
        from with_level
        where n_at_risk > 0 and raw_prior_mean > 0 and raw_prior_mean < 1
        group by {{ parent_keys | join(', ') }}, {{ month_band('month_number') }}
    ),

    pooled as (
        select
            with_level.*,
            -- The prior cannot carry more information than the parent has beyond the child's own
            -- data: at most the parent's other players plus the parent's own prior. An only child
            -- then gets exactly its parent's pooled hazard.
            least(
                case
                    when with_level.prior_mean is null then 0
                    -- No spread to measure (an only child, or no events in these months).
                    when shape_spread.logit_spread_squared is null or with_level.prior_mean <= 0
                        then 1e9
                    else greatest(0, 1 / (greatest(shape_spread.logit_spread_squared, 1e-9)
                        * with_level.prior_mean * (1 - with_level.prior_mean)) - 1)
                end,
                greatest(0, coalesce(with_level.parent_n_at_risk, 0) - with_level.n_at_risk)
                    + coalesce(with_level.parent_prior_strength, 0)
            ) as prior_strength_months
        from with_level
        left join shape_spread
            on {{ join_on_keys('with_level', 'shape_spread', parent_keys) }}
            and {{ month_band('with_level.month_number') }} = shape_spread.month_band
    ),

    weighted as (
        select
            pooled.*,
            case when n_at_risk > 0 then cast(n_at_risk as double) / (n_at_risk + prior_strength_months)
                else 0 end as pooling_weight
        from pooled
    ),

    pooled_hazards as (
        -- The pooled table's columns: the group, its counts, raw and pooled hazard, how pooled.
        select
            cutoff_offset_months, pooling_level, partner_id, geo, segment_type, segment_value,
            n_players, month_number, n_at_risk, n_events, n_censored, hazard,
            case when n_at_risk + prior_strength_months > 0 then
                (n_events + prior_strength_months * prior_mean) / (n_at_risk + prior_strength_months)
            else prior_mean end as pooled_hazard,
            pooling_weight,
            prior_strength_months,
            relative_risk,
            relative_risk_log_variance
        from weighted
    )
{% endmacro %}

{#- Bands of months over which the children's residual spread is taken as constant. -#}
{% macro month_band(month_number) -%}
    case when {{ month_number }} <= 3 then 1 when {{ month_number }} <= 12 then 2
        when {{ month_number }} <= 24 then 3 else 4 end
{%- endmacro %}
