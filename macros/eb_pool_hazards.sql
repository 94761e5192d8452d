{#- Empirical-Bayes shrinkage of monthly hazards toward a parent (beta-binomial / gamma-Poisson):
    pooled hazard = (events + m * parent hazard) / (at risk + m), own-data weight n / (n + m).
    The prior strength m is estimated once per parent and segment by the method of moments: the
    excess of the children's between-group dispersion over binomial noise gives the intra-class
    correlation rho, and m = (1 - rho) / rho. Homogeneous children (rho ~ 0) are pooled fully;
    very different children keep their own data.
    children: relation with the group keys, child_key columns, month_number, n_at_risk, n_events,
    parent_partner_id/parent_geo; parents: relation with the same keys and `parent_hazard` (pooled)
    and `parent_raw_hazard`. -#}
{% macro eb_pool_hazards(children, parents) %}
    dispersion as (
        select
            {{ children }}.cutoff_offset_months,
            {{ children }}.parent_partner_id,
            {{ children }}.parent_geo,
            {{ children }}.segment_type,
            {{ children }}.segment_value,
            sum(
                {{ children }}.n_at_risk
                * power(cast({{ children }}.n_events as double) / {{ children }}.n_at_risk - {{ parents }}.parent_raw_hazard, 2)
                / ({{ parents }}.parent_raw_hazard * (1 - {{ parents }}.parent_raw_hazard))
            ) as q_statistic,
            count(*) - count(distinct {{ children }}.month_number) as degrees_of_freedom,
            sum(({{ children }}.n_at_risk - 1)
                * (1 - cast({{ children }}.n_at_risk as double) / {{ parents }}.parent_n_at_risk)) as q_scale
        from {{ children }}
        inner join {{ parents }}
            on {{ children }}.cutoff_offset_months = {{ parents }}.cutoff_offset_months
            and {{ children }}.parent_partner_id = {{ parents }}.partner_id
            and {{ children }}.parent_geo = {{ parents }}.geo
            and {{ children }}.segment_type = {{ parents }}.segment_type
            and {{ children }}.segment_value = {{ parents }}.segment_value
            and {{ children }}.month_number = {{ parents }}.month_number
        where {{ children }}.n_at_risk > 0
            and {{ parents }}.parent_raw_hazard > 0 and {{ parents }}.parent_raw_hazard < 1
        group by 1, 2, 3, 4, 5
    ),

    prior_strength as (
        select
            dispersion.*,
            -- rho in [1e-6, 1]: the share of the variance that is real difference between children.
            least(1.0, greatest(1e-6,
                greatest(q_statistic - degrees_of_freedom, 0) / nullif(q_scale, 0))) as intraclass_correlation
        from dispersion
    ),

    pooled as (
        select
            {{ children }}.*,
            {{ parents }}.parent_hazard,
            coalesce((1 - prior_strength.intraclass_correlation) / prior_strength.intraclass_correlation, 0)
                as prior_strength_months,
            case when {{ children }}.n_at_risk > 0 then
                cast({{ children }}.n_at_risk as double) / ({{ children }}.n_at_risk
                    + coalesce((1 - prior_strength.intraclass_correlation) / prior_strength.intraclass_correlation, 0))
            else 0 end as pooling_weight
        from {{ children }}
        inner join {{ parents }}
            on {{ children }}.cutoff_offset_months = {{ parents }}.cutoff_offset_months
            and {{ children }}.parent_partner_id = {{ parents }}.partner_id
            and {{ children }}.parent_geo = {{ parents }}.geo
            and {{ children }}.segment_type = {{ parents }}.segment_type
            and {{ children }}.segment_value = {{ parents }}.segment_value
            and {{ children }}.month_number = {{ parents }}.month_number
        left join prior_strength
            on {{ children }}.cutoff_offset_months = prior_strength.cutoff_offset_months
            and {{ children }}.parent_partner_id = prior_strength.parent_partner_id
            and {{ children }}.parent_geo = prior_strength.parent_geo
            and {{ children }}.segment_type = prior_strength.segment_type
            and {{ children }}.segment_value = prior_strength.segment_value
    )
{% endmacro %}
