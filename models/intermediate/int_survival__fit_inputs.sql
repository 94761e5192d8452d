{#- What the tail-model fits need, per group (pooling level, partner, geo) at segment 'all':
    the pooled hazards at the export and at each backtest cutoff (role 'train'), and the
    Kaplan-Meier the export later showed for the cutoff's players (role 'holdout'). -#}
with pooled as (

    select * from {{ ref('int_survival__pooled_hazards') }}
    where segment_type = 'all'

),

realised as (

    select * from {{ ref('int_survival__kaplan_meier') }}
    where segment_type = 'all' and outcome_as_of = 'export'

),

final as (

    select
        pooling_level, partner_id, geo, 'train' as role, cutoff_offset_months, month_number,
        n_at_risk, n_events, pooled_hazard, prior_strength_months,
        cast(null as double) as survival
    from pooled

    union all

    select
        pooling_level, partner_id, geo, 'holdout' as role, cutoff_offset_months, month_number,
        n_at_risk, n_events, cast(null as double) as pooled_hazard,
        cast(null as double) as prior_strength_months, survival
    from realised

)

select * from final
