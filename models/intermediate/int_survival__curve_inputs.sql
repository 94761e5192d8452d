{#- The pooled hazards at the export for every group and segment, with the raw Kaplan-Meier
    beside them: the input of churn_survival_curves. -#}
select
    pooled.pooling_level,
    pooled.partner_id,
    pooled.geo,
    pooled.segment_type,
    pooled.segment_value,
    pooled.n_players,
    pooled.month_number,
    pooled.n_at_risk,
    pooled.n_events,
    pooled.n_censored,
    pooled.pooled_hazard,
    pooled.pooling_weight,
    pooled.prior_strength_months,
    pooled.relative_risk_log_variance,
    kaplan_meier.survival as raw_survival
from {{ ref('int_survival__pooled_hazards') }} as pooled
inner join {{ ref('int_survival__kaplan_meier') }} as kaplan_meier
    on kaplan_meier.cutoff_offset_months = pooled.cutoff_offset_months
    and kaplan_meier.outcome_as_of = 'cutoff'
    and kaplan_meier.pooling_level = pooled.pooling_level
    and kaplan_meier.partner_id = pooled.partner_id
    and kaplan_meier.geo = pooled.geo
    and kaplan_meier.segment_type = pooled.segment_type
    and kaplan_meier.segment_value = pooled.segment_value
    and kaplan_meier.month_number = pooled.month_number
where pooled.cutoff_offset_months = 0
