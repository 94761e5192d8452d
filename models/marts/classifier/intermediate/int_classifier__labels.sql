{#- The quick-churn label and the out-of-time split: one row per scored player (the players of
    int_classifier__features). Quick churn means T <= H (var `quick_churn_months`) under the churn
    rule with K = var `churn_inactive_months`. The first churn spell that starts at month H or
    earlier is complete by month H - 1 + K at the latest, so the label is known exactly when the
    export month is at least H - 1 + K months after the FTD month. Younger players get no label (null),
    never "retained": a player who has not churned yet may still churn by month H.
    The windows (train | gap | test cohorts) are sized to the data by the classifier package
    (churn.classifier.training); `label_maturation_months` is the gap it leaves. -#}
{%- set h = number_var('quick_churn_months', minimum=1, integer=true) -%}
{%- set k = churn_inactive_months() -%}

with features as (

    select * from {{ ref('int_classifier__features') }}

),

lifetimes as (

    select * from {{ ref('fct_player_lifetimes') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

observed as (

    select
        features.player_id,
        features.partner_id,
        features.geo,
        features.ftd_month,
        lifetimes.survival_months,
        lifetimes.is_churned,
        export_window.export_month,
        {{ dbt.datediff('features.ftd_month', 'export_window.export_month', 'month') }}
            as followup_months,
        cast({{ dbt.dateadd('month', -(h - 1 + k), 'export_window.export_month') }} as date)
            as last_labelled_cohort
    from features
    inner join lifetimes
        on features.player_id = lifetimes.player_id
    cross join export_window

),

labelled as (

    select
        observed.*,
        observed.followup_months >= {{ h - 1 + k }} as is_label_known
    from observed

),

final as (

    select
        player_id,
        partner_id,
        geo,
        ftd_month,
        survival_months,
        is_churned,
        followup_months,
        is_label_known,
        case when is_label_known then is_churned and survival_months <= {{ h }} end
            as is_quick_churn,
        last_labelled_cohort,
        export_month,
        {{ h }} as quick_churn_months,
        {{ k }} as churn_inactive_months,
        {{ h - 1 + k }} as label_maturation_months
    from labelled

)

select * from final
