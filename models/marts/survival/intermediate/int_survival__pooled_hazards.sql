{#- Pooled monthly hazards for every group: partition-level hazards shrunk toward their partner's
    pooled hazard, partner-level toward all partners, the all-partner level as observed. -#}
with kaplan_meier as (

    select * from {{ ref('int_survival__kaplan_meier') }}

),

partner_pooled as (

    select * from {{ ref('int_survival__pooled_partner_hazards') }}

),

children as (

    select
        kaplan_meier.*,
        kaplan_meier.partner_id as parent_partner_id,
        '_all' as parent_geo
    from kaplan_meier
    where kaplan_meier.outcome_as_of = 'cutoff' and kaplan_meier.pooling_level = 'partition'

),

parents as (

    select
        partner_pooled.cutoff_offset_months,
        partner_pooled.partner_id,
        partner_pooled.geo,
        partner_pooled.segment_type,
        partner_pooled.segment_value,
        partner_pooled.month_number,
        partner_pooled.n_at_risk as parent_n_at_risk,
        partner_pooled.hazard as parent_raw_hazard,
        partner_pooled.pooled_hazard as parent_hazard,
        partner_pooled.prior_strength_months as parent_prior_strength
    from partner_pooled

),

partition_pooled as (

    {{ eb_pool_hazards('children', 'parents') }}
),

top_level as (

    select
        cutoff_offset_months,
        pooling_level,
        partner_id,
        geo,
        segment_type,
        segment_value,
        n_players,
        month_number,
        n_at_risk,
        n_events,
        n_censored,
        hazard,
        hazard as pooled_hazard,
        cast(1 as double) as pooling_weight,
        cast(0 as double) as prior_strength_months,
        cast(1 as double) as relative_risk,
        cast(0 as double) as relative_risk_log_variance
    from kaplan_meier
    where outcome_as_of = 'cutoff' and pooling_level = 'all'

),

final as (

    select * from partition_pooled
    union all
    select * from partner_pooled
    union all
    select * from top_level

)

select * from final
