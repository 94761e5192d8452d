{#- Per partner and quarantine reason of the seed (every reason, zero counts included): how many
    rows and players were quarantined for it. The reason list is the seed's, nowhere else. -#}
with reason_codes as (

    select
        reason_code,
        check_order,
        description
    from {{ ref('dq_reason_codes') }}
    where action = 'quarantine'

),

partners as (

    select distinct {{ partner_or_missing('partner_id') }} as partner_id
    from {{ ref('stg_partner__activity') }}

),

quarantined_rows as (

    select
        partner_id,
        reason_code,
        count(*) as n_rows
    from {{ ref('dq_quarantine') }}
    group by partner_id, reason_code

),

quarantined_players as (

    select
        partner_id,
        reason_code,
        count(*) as n_players
    from {{ ref('dq_quarantined_players') }}
    group by partner_id, reason_code

),

final as (

    select
        partners.partner_id,
        reason_codes.reason_code,
        reason_codes.check_order,
        reason_codes.description,
        coalesce(quarantined_rows.n_rows, 0) as n_rows,
        coalesce(quarantined_players.n_players, 0) as n_players
    from partners
    cross join reason_codes
    left join quarantined_rows
        on partners.partner_id = quarantined_rows.partner_id
            and reason_codes.reason_code = quarantined_rows.reason_code
    left join quarantined_players
        on partners.partner_id = quarantined_players.partner_id
            and reason_codes.reason_code = quarantined_players.reason_code

)

select * from final
