{#- One row per survival curve: the numbers an analyst quotes (survival at 12, 24, 36 and 60
    months, restricted mean active months to 12, 24 and 60 with their 95% bands - the link to
    lifetime value) and how the curve was made. -#}
with curves as (

    select * from {{ ref('churn_survival_curves') }}

),

final as (

    select
        pooling_level,
        partner_id,
        geo,
        segment_type,
        segment_value,
        max(n_players) as n_players,
        max(case when not is_extrapolated then month_number end) as last_observed_month,
        max(case when month_number = 12 then survival end) as survival_12,
        max(case when month_number = 24 then survival end) as survival_24,
        max(case when month_number = 36 then survival end) as survival_36,
        max(case when month_number = 60 then survival end) as survival_60,
        -- Restricted mean active months to h: sum of S(m) over months 0..h-1. Its band sums the
        -- pointwise band limits: the errors of S over months move together (one cohort, one
        -- tail fit), so the sum of the limits is the band of a fully correlated error, a
        -- slightly conservative choice.
        sum(case when month_number < 12 then survival end) as restricted_mean_months_12,
        sum(case when month_number < 12 then survival_lower end) as restricted_mean_months_12_lower,
        sum(case when month_number < 12 then survival_upper end) as restricted_mean_months_12_upper,
        sum(case when month_number < 24 then survival end) as restricted_mean_months_24,
        sum(case when month_number < 24 then survival_lower end) as restricted_mean_months_24_lower,
        sum(case when month_number < 24 then survival_upper end) as restricted_mean_months_24_upper,
        sum(case when month_number < 60 then survival end) as restricted_mean_months_60,
        sum(case when month_number < 60 then survival_lower end) as restricted_mean_months_60_lower,
        sum(case when month_number < 60 then survival_upper end) as restricted_mean_months_60_upper,
        max(case when is_extrapolated then method end) as tail_method,
        avg(case when not is_extrapolated and month_number between 1 and 12 then pooling_weight end)
            as mean_pooling_weight_first_year
    from curves
    group by pooling_level, partner_id, geo, segment_type, segment_value

)

select * from final
