-- The numbers the data-problems section quotes beyond each problem's own count: rows by what
-- the warehouse does with them, and the largest quarantine reason. One row.
with

data_problems as (
    select * from {{ ref('rpt_data_problems') }}
),

quarantine_ranked as (
    select
        problem,
        n_rows,
        row_number() over (
            order by n_rows desc, check_order asc
        ) as reason_rank
    from data_problems
    where action = 'quarantine'
),

by_action as (
    select
        sum(case when action = 'quarantine' then n_rows else 0 end) as problem_rows_quarantine,
        sum(case when action = 'flag' then n_rows else 0 end) as problem_rows_flag,
        sum(case when action = 'normalise' then n_rows else 0 end) as problem_rows_normalise
    from data_problems
),

final as (
    select
        by_action.*,
        quarantine_ranked.problem as top_quarantine_reason,
        quarantine_ranked.n_rows as top_quarantine_rows
    from by_action
    left join quarantine_ranked
        on quarantine_ranked.reason_rank = 1
)

select * from final
