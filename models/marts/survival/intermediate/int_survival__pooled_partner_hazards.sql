{#- Partner-level monthly hazards shrunk toward all partners (same segment), by empirical Bayes. -#}
with kaplan_meier as (

    select * from {{ ref('int_survival__kaplan_meier') }}

),

children as (

    select
        kaplan_meier.*,
        '_all' as parent_partner_id,
        '_all' as parent_geo
    from kaplan_meier
    where kaplan_meier.outcome_as_of = 'cutoff' and kaplan_meier.pooling_level = 'partner'

),

parents as (

    select
        cutoff_offset_months,
        partner_id,
        geo,
        segment_type,
        segment_value,
        month_number,
        n_at_risk as parent_n_at_risk,
        hazard as parent_raw_hazard,
        -- The top of the hierarchy is not pooled further.
        hazard as parent_hazard,
        cast(0 as double) as parent_prior_strength
    from kaplan_meier
    where outcome_as_of = 'cutoff' and pooling_level = 'all'

),

final as (

    {{ eb_pool_hazards('children', 'parents') }}
)

select * from final
