-- Negative NGR (the player won, or bonuses exceeded the operator's win) by product: share of
-- active months and of players over their observed months, and the NGR they sum to.
with

negative_ngr as (
    select * from {{ ref('rpt_negative_ngr_by_product') }}
),

final as (
    select * from negative_ngr
)

select * from final
order by n_players desc
