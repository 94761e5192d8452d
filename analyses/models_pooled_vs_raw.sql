-- Pooling at work on a small partition: the smallest one observed for at least 24 months. Its
-- pooled curve and bands, its own (raw) Kaplan-Meier with Greenwood bands, and its partner's curve.
with

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where segment_type = 'all'
),

kaplan_meier as (
    select * from {{ ref('int_survival__kaplan_meier') }}
    where cutoff_offset_months = 0 and outcome_as_of = 'cutoff' and segment_type = 'all'
        and pooling_level = 'partition'
),

summary as (
    select * from {{ ref('churn_survival_summary') }}
    where pooling_level = 'partition' and segment_type = 'all'
),

chosen as (
    select
        partner_id,
        geo,
        n_players,
        mean_pooling_weight_first_year
    from summary
    where last_observed_month >= 24
    order by n_players, partner_id, geo
    limit 1
),

final as (
    select
        chosen.partner_id,
        chosen.geo,
        chosen.partner_id || ' x ' || chosen.geo as partition_label,
        chosen.n_players,
        chosen.mean_pooling_weight_first_year,
        partition_curve.month_number,
        partition_curve.survival as pooled_survival,
        partition_curve.survival_lower as pooled_lower,
        partition_curve.survival_upper as pooled_upper,
        partition_curve.pooling_weight,
        partition_curve.is_extrapolated,
        coalesce(kaplan_meier.survival, case when partition_curve.month_number = 0 then 1.0 end)
            as raw_survival,
        coalesce(kaplan_meier.survival_lower, case when partition_curve.month_number = 0 then 1.0 end)
            as raw_lower,
        coalesce(kaplan_meier.survival_upper, case when partition_curve.month_number = 0 then 1.0 end)
            as raw_upper,
        partner_curve.survival as partner_survival,
        partition_curve.survival_upper - partition_curve.survival_lower as pooled_band_width,
        kaplan_meier.survival_upper - kaplan_meier.survival_lower as raw_band_width
    from chosen
    inner join curves as partition_curve
        on partition_curve.pooling_level = 'partition'
            and chosen.partner_id = partition_curve.partner_id
            and chosen.geo = partition_curve.geo
    inner join curves as partner_curve
        on partner_curve.pooling_level = 'partner'
            and chosen.partner_id = partner_curve.partner_id
            and partition_curve.month_number = partner_curve.month_number
    left join kaplan_meier
        on chosen.partner_id = kaplan_meier.partner_id
            and chosen.geo = kaplan_meier.geo
            and partition_curve.month_number = kaplan_meier.month_number
)

select * from final
order by month_number
