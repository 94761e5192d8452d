{#- How the export's slash dates were read: one row (none for an empty export). The decision is made
    in stg_partner__activity, which parses the dates; this table keeps it, with its evidence and
    the rows it put in the quarantine, for a person to check. -#}
with staged as (

    select
        date_order,
        date_order_basis,
        has_ambiguous_date
    from {{ ref('stg_partner__activity') }}

),

final as (

    select
        date_order,
        date_order_basis,
        count(*) as n_rows,
        sum(case when has_ambiguous_date then 1 else 0 end) as n_ambiguous_rows
    from staged
    group by date_order, date_order_basis

)

select * from final
