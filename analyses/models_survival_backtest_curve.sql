-- Out-of-time backtest over all partners, months 0..60: survival predicted from the data at each
-- cutoff (months before the export) vs the Kaplan-Meier the export later showed for the same
-- players.
with

backtest as (
    select * from {{ ref('churn_survival_backtest') }}
    where pooling_level = 'all' and month_number <= 60
),

final as (
    select
        cutoff_offset_months,
        model,
        month_number,
        predicted_survival,
        realised_survival,
        predicted_survival - realised_survival as error,
        is_extrapolated
    from backtest
)

select * from final
order by cutoff_offset_months, month_number
