-- The numbers the money section quotes beyond each measure's own quantiles: the range of the
-- negative-NGR shares across products (active months and FTD months) and the loss that 1% of
-- active months exceed. One row.
with

negative_ngr as (
    select * from {{ ref('rpt_negative_ngr_by_product') }}
),

panel as (
    select * from {{ ref('fct_player_months') }}
    where is_active
),

by_product as (
    select
        min(share_negative_months) as negative_ngr_months_min,
        max(share_negative_months) as negative_ngr_months_max,
        max(share_negative_ftd_months) as negative_ngr_ftd_months_max,
        arg_max(product, share_negative_ftd_months) as negative_ngr_ftd_months_max_product
    from negative_ngr
),

losses as (
    select
        -percentile_cont(0.01) within group (
            order by total_ngr
        ) as ngr_p01_loss
    from panel
),

final as (
    select
        by_product.*,
        losses.*
    from by_product
    cross join losses
)

select * from final
