{#- Empirical-Bayes shrinkage of children's monthly hazards toward their parent's, in two steps.
    1. Level: per band of months, the child's relative risk against the parent's hazards, observed
       / expected churn events, shrunk by gamma-Poisson: RR = (O + a) / (E + a), with the prior a
       estimated by the method of moments from the children's spread. A partition that churns faster
       than its partner in every month keeps that difference instead of being pulled back month by
       month, and a difference in the first months does not spill over into later ones.
    2. Shape: each month's hazard shrinks toward the prior mean h0_t = parent pooled hazard x RR with
       strength m_t = (1 / (tau^2 h0_t (1 - h0_t)) - 1) x (1 - min(1, O / O_full)) (a residual
       spread tau^2 on the log-odds scale, by moments, one per band of months; O the child's own
       churn events, O_full = var `survival_pooling_full_credibility_events`): pooled hazard =
       (events + m_t h0_t) / (at risk + m_t), own-data weight n / (n + m_t). The prior's strength
       falls as the child's own information grows and is zero from O_full events on: a child's
       deviation from its parent persists from month to month, so the per-month model understates
       what a biased prior costs a large child's curve, and a large child keeps its own
       Kaplan-Meier.
    Returns a select statement (use it as a CTE body or a subquery) with one row per child and
    month: the group keys, n_players, month_number, n_at_risk, n_events, n_censored, hazard,
    pooled_hazard, pooling_weight, prior_strength_months, relative_risk, relative_risk_log_variance.
    children: relation with the group keys (survival_group_keys except outcome_as_of), n_players,
    month_number, n_at_risk, n_events, n_censored, hazard, and the parent's keys parent_partner_id
    and parent_geo.
    parents: relation with cutoff_offset_months, partner_id, geo, segment_type, segment_value,
    month_number, parent_n_at_risk, parent_raw_hazard (the children's pooled data), parent_hazard
    (the parent's own pooled hazard) and parent_prior_strength (its own m).
    Every sum is an exact_sum, so the pooled hazards do not depend on thread scheduling. -#}
{% macro eb_pool_hazards(children, parents) %}
    {%- for relation in [children, parents] if relation.startswith('eb_pool__') -%}
        {{ exceptions.raise_compiler_error(
            "eb_pool_hazards: the relation name '" ~ relation ~ "' clashes with the macro's own CTEs.") }}
    {%- endfor -%}
    {%- set parent_keys = ['cutoff_offset_months', 'parent_partner_id', 'parent_geo', 'segment_type', 'segment_value'] -%}
    {%- set child_keys = ['cutoff_offset_months', 'pooling_level', 'partner_id', 'geo', 'segment_type', 'segment_value'] -%}
    {%- set full_credibility_events = var('survival_pooling_full_credibility_events', 1082) -%}
    {%- if full_credibility_events is not number or full_credibility_events <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var survival_pooling_full_credibility_events must be a number of churn events > 0, got '"
            ~ full_credibility_events ~ "'.") }}
    {%- endif -%}
    with eb_pool__joined as (
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

    eb_pool__child_information as (
        -- The child's own churn events: how much it can say about its own curve.
        select {{ parent_keys | join(', ') }}, partner_id, geo, sum(n_events) as own_events
        from eb_pool__joined
        group by {{ parent_keys | join(', ') }}, partner_id, geo
    ),

    eb_pool__child_totals as (
        select
            {{ parent_keys | join(', ') }}, partner_id, geo, {{ month_band('month_number') }} as month_band,
            sum(n_events) as observed_events,
            {{ exact_sum('n_at_risk * parent_raw_hazard') }} as expected_events,
            -- The child's share of its parent's expected events: a child that is most of its
            -- parent cannot differ much from it.
            {{ exact_sum('n_at_risk * parent_raw_hazard') }}
                / nullif({{ exact_sum('parent_n_at_risk * parent_raw_hazard') }}, 0) as parent_share
        from eb_pool__joined
        where n_at_risk > 0 and parent_raw_hazard > 0
        group by {{ parent_keys | join(', ') }}, partner_id, geo, {{ month_band('month_number') }}
    ),

    eb_pool__level_spread as (
        -- 1 / a: the variance of the children's true relative risks (observed / expected ratios
        -- spread beyond their Poisson noise).
        select
            {{ parent_keys | join(', ') }}, month_band,
            greatest(0, {{ exact_sum('expected_events * (power(observed_events / expected_events - 1, 2)
                - (1 - parent_share) / expected_events)') }})
                / nullif({{ exact_sum('expected_events * (1 - parent_share)') }}, 0) as relative_risk_variance
        from eb_pool__child_totals
        where expected_events > 0
        group by {{ parent_keys | join(', ') }}, month_band
    ),

    eb_pool__child_levels as (
        select
            {% for key in parent_keys %}eb_pool__child_totals.{{ key }}, {% endfor %}
            eb_pool__child_totals.partner_id,
            eb_pool__child_totals.geo,
            eb_pool__child_totals.month_band,
            -- (O + a) / (E + a) written with 1 / a, so no spread (1 / a = 0) means RR = 1.
            (eb_pool__child_totals.observed_events * coalesce(eb_pool__level_spread.relative_risk_variance, 0) + 1)
                / (eb_pool__child_totals.expected_events * coalesce(eb_pool__level_spread.relative_risk_variance, 0) + 1)
                as relative_risk,
            -- Posterior variance of log RR, 1 / (O + a): the level's share of the band.
            coalesce(eb_pool__level_spread.relative_risk_variance, 0)
                / (eb_pool__child_totals.observed_events * coalesce(eb_pool__level_spread.relative_risk_variance, 0) + 1)
                as relative_risk_log_variance
        from eb_pool__child_totals
        left join eb_pool__level_spread
            on {{ join_on_keys('eb_pool__child_totals', 'eb_pool__level_spread', parent_keys + ['month_band']) }}
    ),

    eb_pool__with_level as (
        select
            eb_pool__joined.*,
            eb_pool__child_information.own_events,
            coalesce(eb_pool__child_levels.relative_risk, 1) as relative_risk,
            coalesce(eb_pool__child_levels.relative_risk_log_variance, 0) as relative_risk_log_variance,
            -- Null where the parent has nobody at risk (least() skips nulls on some engines).
            case when eb_pool__joined.parent_raw_hazard is not null then least(0.999,
                eb_pool__joined.parent_raw_hazard * coalesce(eb_pool__child_levels.relative_risk, 1))
            end as raw_prior_mean,
            case when eb_pool__joined.parent_hazard is not null then least(0.999,
                eb_pool__joined.parent_hazard * coalesce(eb_pool__child_levels.relative_risk, 1))
            end as prior_mean
        from eb_pool__joined
        inner join eb_pool__child_information
            on {{ join_on_keys('eb_pool__joined', 'eb_pool__child_information', parent_keys + ['partner_id', 'geo']) }}
        left join eb_pool__child_levels
            on {{ join_on_keys('eb_pool__joined', 'eb_pool__child_levels', parent_keys + ['partner_id', 'geo']) }}
            and {{ month_band('eb_pool__joined.month_number') }} = eb_pool__child_levels.month_band
    ),

    eb_pool__shape_spread as (
        -- tau^2: squared deviations from the level-adjusted parent minus binomial noise, in units
        -- of (h (1 - h))^2, weighted by the child's at-risk count; one per band of months, since
        -- children's curves drift apart in shape as their player mixes thin out differently.
        select
            {{ parent_keys | join(', ') }},
            {{ month_band('month_number') }} as month_band,
            greatest(0, {{ exact_sum('n_at_risk * (
                power(cast(n_events as double) / n_at_risk - raw_prior_mean, 2)
                - (1 - cast(n_at_risk as double) / parent_n_at_risk)
                    * raw_prior_mean * (1 - raw_prior_mean) / n_at_risk)') }})
                / nullif({{ exact_sum('n_at_risk * (1 - cast(n_at_risk as double) / parent_n_at_risk)
                    * power(raw_prior_mean * (1 - raw_prior_mean), 2)') }}, 0) as logit_spread_squared
        from eb_pool__with_level
        where n_at_risk > 0 and raw_prior_mean > 0 and raw_prior_mean < 1
        group by {{ parent_keys | join(', ') }}, {{ month_band('month_number') }}
    ),

    eb_pool__pooled as (
        select
            eb_pool__with_level.*,
            -- The prior cannot carry more information than the parent has beyond the child's own
            -- data: at most the parent's other players plus the parent's own prior. An only child
            -- then gets exactly its parent's pooled hazard.
            least(
                case
                    when eb_pool__with_level.prior_mean is null then 0
                    -- No spread to measure (an only child, or no events in these months).
                    when eb_pool__shape_spread.logit_spread_squared is null or eb_pool__with_level.prior_mean <= 0
                        then 1e9
                    else greatest(0, 1 / (greatest(eb_pool__shape_spread.logit_spread_squared, 1e-9)
                        * eb_pool__with_level.prior_mean * (1 - eb_pool__with_level.prior_mean)) - 1)
                end
                    * greatest(0, 1 - cast(eb_pool__with_level.own_events as double) / {{ full_credibility_events }}),
                greatest(0, coalesce(eb_pool__with_level.parent_n_at_risk, 0) - eb_pool__with_level.n_at_risk)
                    + coalesce(eb_pool__with_level.parent_prior_strength, 0)
            ) as prior_strength_months
        from eb_pool__with_level
        left join eb_pool__shape_spread
            on {{ join_on_keys('eb_pool__with_level', 'eb_pool__shape_spread', parent_keys) }}
            and {{ month_band('eb_pool__with_level.month_number') }} = eb_pool__shape_spread.month_band
    ),

    eb_pool__result as (
        select
            cutoff_offset_months, pooling_level, partner_id, geo, segment_type, segment_value,
            n_players, month_number, n_at_risk, n_events, n_censored, hazard,
            case when n_at_risk + prior_strength_months > 0 then
                (n_events + prior_strength_months * prior_mean) / (n_at_risk + prior_strength_months)
            else prior_mean end as pooled_hazard,
            case when n_at_risk > 0 then cast(n_at_risk as double) / (n_at_risk + prior_strength_months)
                else 0 end as pooling_weight,
            prior_strength_months,
            relative_risk,
            relative_risk_log_variance as band_log_variance
        from eb_pool__pooled
    ),

    eb_pool__cumulated as (
        -- Cumulative pooled hazard, overall and within the month's band (running sums in month
        -- order, so the same in every build).
        select
            eb_pool__result.*,
            {{ month_band('month_number') }} as month_band,
            sum(coalesce(pooled_hazard, 0)) over (
                partition by {{ child_keys | join(', ') }} order by month_number
                rows between unbounded preceding and current row) as cumulative_hazard,
            sum(coalesce(pooled_hazard, 0)) over (
                partition by {{ child_keys | join(', ') }}, {{ month_band('month_number') }}
                order by month_number
                rows between unbounded preceding and current row) as band_cumulative_hazard
        from eb_pool__result
    ),

    eb_pool__bands as (
        -- Each finished band's share of Var(log S): (its cumulative hazard)^2 Var(log RR_band),
        -- summed over the bands before each band.
        select
            {{ child_keys | join(', ') }}, month_band,
            sum(power(max(band_cumulative_hazard), 2) * max(band_log_variance)) over (
                partition by {{ child_keys | join(', ') }} order by month_band
                rows between unbounded preceding and 1 preceding) as earlier_bands_variance
        from eb_pool__cumulated
        group by {{ child_keys | join(', ') }}, month_band
    ),

    eb_pool__curve_level as (
        -- The relative risks of the bands are independent, so at month t the level adds
        -- sum_b Lambda_b(t)^2 Var(log RR_b) to Var(log S(t)). As one variance of log RR shared by
        -- the whole curve (Lambda(t)^2 x v, how the curve's bands use it): the largest v any month
        -- needs, which is at most the largest band's.
        select
            {% for key in child_keys %}eb_pool__cumulated.{{ key }}, {% endfor %}eb_pool__cumulated.month_number,
            max(case when eb_pool__cumulated.cumulative_hazard > 0 then
                (coalesce(eb_pool__bands.earlier_bands_variance, 0)
                    + power(eb_pool__cumulated.band_cumulative_hazard, 2) * eb_pool__cumulated.band_log_variance)
                / power(eb_pool__cumulated.cumulative_hazard, 2)
            end) over (partition by {% for key in child_keys %}eb_pool__cumulated.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %})
                as curve_log_variance
        from eb_pool__cumulated
        inner join eb_pool__bands
            on {{ join_on_keys('eb_pool__cumulated', 'eb_pool__bands', child_keys + ['month_band']) }}
    )

    select
        eb_pool__result.cutoff_offset_months, eb_pool__result.pooling_level, eb_pool__result.partner_id,
        eb_pool__result.geo, eb_pool__result.segment_type, eb_pool__result.segment_value,
        eb_pool__result.n_players, eb_pool__result.month_number, eb_pool__result.n_at_risk,
        eb_pool__result.n_events, eb_pool__result.n_censored, eb_pool__result.hazard,
        eb_pool__result.pooled_hazard, eb_pool__result.pooling_weight,
        eb_pool__result.prior_strength_months, eb_pool__result.relative_risk,
        coalesce(eb_pool__curve_level.curve_log_variance, 0) as relative_risk_log_variance
    from eb_pool__result
    inner join eb_pool__curve_level
        on {{ join_on_keys('eb_pool__result', 'eb_pool__curve_level', child_keys + ['month_number']) }}
{% endmacro %}

{#- Bands of months over which the children's residual spread is taken as constant. -#}
{% macro month_band(month_number) -%}
    case when {{ month_number }} <= 3 then 1 when {{ month_number }} <= 12 then 2
        when {{ month_number }} <= 24 then 3 else 4 end
{%- endmacro %}
