-- What a batch run delivers: rows of each analyst-facing output table (the same rows are written
-- as Parquet for the curves and the scores).
with

final as (
    select
        'fct_player_months' as output,
        count(*) as n_rows
    from {{ ref('fct_player_months') }}
    union all
    select
        'fct_player_lifetimes' as output,
        count(*) as n_rows
    from {{ ref('fct_player_lifetimes') }}
    union all
    select
        'dq_quarantine' as output,
        count(*) as n_rows
    from {{ ref('dq_quarantine') }}
    union all
    select
        'churn_survival_curves' as output,
        count(*) as n_rows
    from {{ ref('churn_survival_curves') }}
    union all
    select
        'churn_survival_summary' as output,
        count(*) as n_rows
    from {{ ref('churn_survival_summary') }}
    union all
    select
        'churn_survival_fits' as output,
        count(*) as n_rows
    from {{ ref('churn_survival_fits') }}
    union all
    select
        'churn_quick_scores' as output,
        count(*) as n_rows
    from {{ ref('churn_quick_scores') }}
    union all
    select
        'churn_segment_risk' as output,
        count(*) as n_rows
    from {{ ref('churn_segment_risk') }}
    union all
    select
        'churn_classifier_evaluation' as output,
        count(*) as n_rows
    from {{ ref('churn_classifier_evaluation') }}
)

select * from final
