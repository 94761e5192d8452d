{#- The pooled hazards of every group, segment and cutoff with the group's own Kaplan-Meier
    (survival and Greenwood sum) beside them: what a curve is assembled from, at the export for
    churn_survival_curves and at the earlier cutoffs for the backtest. -#}
{%- set keys = ['cutoff_offset_months', 'pooling_level', 'partner_id', 'geo', 'segment_type',
                'segment_value', 'month_number'] -%}

with pooled as (

    select * from {{ ref('int_survival__pooled_hazards') }}

),

kaplan_meier as (

    select * from {{ ref('int_survival__kaplan_meier') }}
    where outcome_as_of = 'cutoff'

),

final as (

    select
        pooled.pooling_level,
        pooled.partner_id,
        pooled.geo,
        pooled.segment_type,
        pooled.segment_value,
        pooled.cutoff_offset_months,
        pooled.n_players,
        pooled.month_number,
        pooled.n_at_risk,
        pooled.n_events,
        pooled.n_censored,
        pooled.pooled_hazard,
        pooled.pooling_weight,
        pooled.prior_strength_months,
        pooled.relative_risk_log_variance,
        kaplan_meier.survival as raw_survival,
        kaplan_meier.greenwood_sum as raw_greenwood_sum
    from pooled
    inner join kaplan_meier
        on {{ join_on_keys('pooled', 'kaplan_meier', keys) }}

)

select * from final
