{#- What the tail-model fits need, per group (pooling level, partner, geo) at segment 'all':
    the curve inputs at the export and at each backtest cutoff (role 'train'), and the
    Kaplan-Meier the export later showed for the cutoff's players (role 'holdout'). -#}
with curve_inputs as (

    select * from {{ ref('int_survival__curve_inputs') }}
    where segment_type = 'all'

),

realised as (

    select * from {{ ref('int_survival__kaplan_meier') }}
    where segment_type = 'all' and outcome_as_of = 'export'

),

final as (

    select
        pooling_level,
        partner_id,
        geo,
        'train' as role,
        cutoff_offset_months,
        month_number,
        n_at_risk,
        n_events,
        n_censored,
        pooled_hazard,
        pooling_weight,
        prior_strength_months,
        relative_risk_log_variance,
        raw_survival,
        raw_greenwood_sum,
        cast(null as double) as survival
    from curve_inputs

    union all

    select
        pooling_level,
        partner_id,
        geo,
        'holdout' as role,
        cutoff_offset_months,
        month_number,
        n_at_risk,
        n_events,
        n_censored,
        cast(null as double) as pooled_hazard,
        cast(null as double) as pooling_weight,
        cast(null as double) as prior_strength_months,
        cast(null as double) as relative_risk_log_variance,
        cast(null as double) as raw_survival,
        cast(null as double) as raw_greenwood_sum,
        survival
    from realised

)

select * from final
