{#- The player-level quarantine: every player the export names (partner, known state, account)
    that is not in int_players, with the reason of its rows that comes first in the seed's check
    order (for example every row a test account, no plausible first-deposit date, or only all-zero
    rows of a player whose FTD precedes the data window). -#}
with validated as (

    select * from {{ ref('int_activity__validated') }} as validated
    where {{ names_a_player('validated') }}

),

players as (

    select
        partner_id,
        geo,
        account_id
    from {{ ref('int_players') }}

),

reason_codes as (

    select
        reason_code,
        check_order,
        description
    from {{ ref('dq_reason_codes') }}

),

unplaced_rows as (

    select
        validated.*,
        reason_codes.check_order
    from validated
    left join players
        on validated.partner_id = players.partner_id
            and validated.geo = players.geo
            and validated.account_id = players.account_id
    left join reason_codes
        on validated.reason_code = reason_codes.reason_code
    where players.account_id is null

),

ranked as (

    select
        unplaced_rows.*,
        row_number() over (
            partition by unplaced_rows.partner_id, unplaced_rows.geo, unplaced_rows.account_id
            order by unplaced_rows.check_order, unplaced_rows.raw_row_id
        ) as reason_rank,
        count(*)
            over (partition by unplaced_rows.partner_id, unplaced_rows.geo, unplaced_rows.account_id)
            as n_raw_rows
    from unplaced_rows

),

final as (

    select
        ranked.partner_id,
        ranked.geo,
        ranked.account_id,
        ranked.reason_code,
        case
            when ranked.reason_code = 'all_zero_activity'
                then 'every row of the player is all-zero and the FTD month is outside the data window,'
                    || ' so no month of the window is known to be active'
            else reason_codes.description
        end as reason,
        ranked.n_raw_rows,
        ranked.ftd_date
    from ranked
    left join reason_codes
        on ranked.reason_code = reason_codes.reason_code
    where ranked.reason_rank = 1

)

select * from final
