-- Every staged row is in exactly one of the clean table and the quarantine, and nothing else is.
with staged as (
    select raw_row_id from {{ ref('stg_partner__activity') }}
),

landed as (
    select raw_row_id from {{ ref('int_activity__clean') }}
    union all
    select raw_row_id from {{ ref('dq_quarantine') }}
),

landings as (
    select raw_row_id, count(*) as n_places from landed group by raw_row_id
)

select
    coalesce(staged.raw_row_id, landings.raw_row_id) as raw_row_id,
    coalesce(landings.n_places, 0) as n_places
from staged
full outer join landings
    on staged.raw_row_id = landings.raw_row_id
where staged.raw_row_id is null or coalesce(landings.n_places, 0) <> 1
