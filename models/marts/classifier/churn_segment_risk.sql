{#- Predicted and observed quick-churn rates per partition x product x channel (ben_login_id), so a
    segment's likelihood can be read in SQL. Predicted rates average the default model's
    probabilities; observed rates count quick churners among players whose label is known, with a
    Wilson 95% interval. The served model is refitted on every labelled cohort, so both the
    labelled and the test columns compare in-sample predictions (the out-of-sample figures are
    the `test` rows of churn_classifier_evaluation); the test columns are the latest cohorts. -#}
{%- set z = normal_quantile_975() | trim -%}

with scores as (

    select * from {{ ref('churn_quick_scores') }}
    where quick_churn_probability is not null

),

segments as (

    select
        partner_id,
        geo,
        product,
        ben_login_id,
        max(model_version) as model_version,
        count(*) as n_players,
        avg(quick_churn_probability) as predicted_quick_churn_rate,
        count(case when is_label_known then 1 end) as n_labelled,
        count(case when is_quick_churn then 1 end) as n_quick_churners,
        avg(case when is_label_known then quick_churn_probability end) as predicted_rate_labelled,
        avg(case when is_label_known then (case when is_quick_churn then 1.0 else 0.0 end) end)
            as observed_rate_labelled,
        count(case when data_split = 'test' then 1 end) as n_test,
        avg(case when data_split = 'test' then quick_churn_probability end) as predicted_rate_test,
        avg(case when data_split = 'test' then (case when is_quick_churn then 1.0 else 0.0 end) end)
            as observed_rate_test,
        count(case when not is_label_known then 1 end) as n_unlabelled,
        avg(case when not is_label_known then quick_churn_probability end) as predicted_rate_unlabelled
    from scores
    group by partner_id, geo, product, ben_login_id

),

wilson_terms as (

    select
        segments.*,
        {{ z }} * {{ z }} / nullif(segments.n_labelled, 0) as z_squared_over_n
    from segments

),

wilson as (

    -- Wilson score interval of the observed rate: its centre and half-width.
    select
        wilson_terms.*,
        (wilson_terms.observed_rate_labelled + wilson_terms.z_squared_over_n / 2)
        / (1 + wilson_terms.z_squared_over_n) as wilson_centre,
        {{ z }} * sqrt(
            wilson_terms.observed_rate_labelled
            * (1 - wilson_terms.observed_rate_labelled)
            / wilson_terms.n_labelled
            + wilson_terms.z_squared_over_n / (4 * wilson_terms.n_labelled)
        ) / (1 + wilson_terms.z_squared_over_n
        ) as wilson_half_width
    from wilson_terms

),

final as (

    select
        partner_id,
        geo,
        product,
        ben_login_id,
        n_players,
        predicted_quick_churn_rate,
        n_labelled,
        n_quick_churners,
        predicted_rate_labelled,
        observed_rate_labelled,
        wilson_centre - wilson_half_width as observed_rate_labelled_lower,
        wilson_centre + wilson_half_width as observed_rate_labelled_upper,
        n_test,
        predicted_rate_test,
        observed_rate_test,
        n_unlabelled,
        predicted_rate_unlabelled,
        model_version
    from wilson

)

select * from final
