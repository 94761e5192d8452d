{#- Kaplan-Meier survival with late entry, Greenwood variance and log-log 95% bands (the exponential
    Greenwood bands lifelines reports), and the monthly hazard, set-wise for every life table. -#}
with life_tables as (

    select * from {{ ref('int_survival__life_tables') }}

),

terms as (

    select
        life_tables.*,
        case
            when life_tables.n_at_risk > 0 then cast(life_tables.n_events as double) / life_tables.n_at_risk
        end as hazard,
        -- log(1 - d/n), skipped when nobody is at risk; a month where everyone churns ends the curve.
        case when life_tables.n_at_risk > 0 and life_tables.n_events < life_tables.n_at_risk
                then ln(1 - cast(life_tables.n_events as double) / life_tables.n_at_risk)
            else 0
        end as log_step,
        case
            when life_tables.n_at_risk > 0 and life_tables.n_events = life_tables.n_at_risk then 1 else 0
        end as is_wipeout,
        case when life_tables.n_at_risk > 0 and life_tables.n_events < life_tables.n_at_risk
                then cast(life_tables.n_events as double)
                    / (cast(life_tables.n_at_risk as double) * (life_tables.n_at_risk - life_tables.n_events))
            else 0
        end as greenwood_term
    from life_tables

),

accumulated as (

    select
        terms.*,
        -- Running sums over a unique month order add their terms in that order, whatever the
        -- threads do: the same curve in every build (unlike a group-by sum of doubles).
        sum(terms.log_step) over running as cumulative_log_survival,
        max(terms.is_wipeout) over running as has_wipeout,
        sum(terms.greenwood_term) over running as greenwood_sum
    from terms
    window running as (
        partition by {{ survival_group_keys() | join(', ') }}
        order by month_number
        rows between unbounded preceding and current row
    )

),

final as (

    select
        {{ survival_group_keys() | join(', ') }},
        n_players,
        month_number,
        n_at_risk,
        n_events,
        n_censored,
        n_entries,
        hazard,
        case when has_wipeout = 1 then 0 else exp(cumulative_log_survival) end as survival,
        greenwood_sum,
        case
            when has_wipeout = 1 then 0
            when cumulative_log_survival = 0 then 1
            else exp(-exp(
                    ln(-cumulative_log_survival)
                    - {{ normal_quantile_975() }} * sqrt(greenwood_sum) / cumulative_log_survival
                ))
        end as survival_lower,
        case
            when has_wipeout = 1 then 0
            when cumulative_log_survival = 0 then 1
            else exp(-exp(
                    ln(-cumulative_log_survival)
                    + {{ normal_quantile_975() }} * sqrt(greenwood_sum) / cumulative_log_survival
                ))
        end as survival_upper
    from accumulated

)

select * from final
