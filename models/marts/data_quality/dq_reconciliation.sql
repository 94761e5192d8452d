{#- Per partner: raw rows = clean rows + quarantined rows, and identifiable players = players +
    quarantined players. Data tests fail the build when a partner does not balance; a post-hook
    says so in the log when most or all of the export is quarantined. The split by reason is in
    dq_quarantine_by_reason (reason codes from the seed only). -#}
{{ config(post_hook="{{ warn_about_export_quality() }}") }}

with staged as (

    select * from {{ ref('stg_partner__activity') }}

),

raw_rows as (

    select
        {{ partner_or_missing('partner_id') }} as partner_id,
        count(*) as n_raw_rows
    from staged
    group by {{ partner_or_missing('partner_id') }}

),

raw_players as (

    select
        validated.partner_id,
        count(distinct validated.geo || '|' || validated.account_id) as n_raw_players
    from {{ ref('int_activity__validated') }} as validated
    where {{ names_a_player('validated') }}
    group by validated.partner_id

),

clean_rows as (

    select
        partner_id,
        count(*) as n_clean_rows
    from {{ ref('int_activity__clean') }}
    group by partner_id

),

quarantined_rows as (

    select
        partner_id,
        count(*) as n_quarantined_rows
    from {{ ref('dq_quarantine') }}
    group by partner_id

),

players as (

    select
        partner_id,
        count(*) as n_players
    from {{ ref('int_players') }}
    group by partner_id

),

quarantined_players as (

    select
        partner_id,
        count(*) as n_quarantined_players
    from {{ ref('dq_quarantined_players') }}
    group by partner_id

),

final as (

    select
        raw_rows.partner_id,
        raw_rows.n_raw_rows,
        coalesce(clean_rows.n_clean_rows, 0) as n_clean_rows,
        coalesce(quarantined_rows.n_quarantined_rows, 0) as n_quarantined_rows,
        coalesce(raw_players.n_raw_players, 0) as n_raw_players,
        coalesce(players.n_players, 0) as n_players,
        coalesce(quarantined_players.n_quarantined_players, 0) as n_quarantined_players,
        raw_rows.n_raw_rows = coalesce(clean_rows.n_clean_rows, 0)
        + coalesce(quarantined_rows.n_quarantined_rows, 0) as is_balanced,
        coalesce(raw_players.n_raw_players, 0) = coalesce(players.n_players, 0)
        + coalesce(quarantined_players.n_quarantined_players, 0) as is_players_balanced
    from raw_rows
    left join raw_players
        on raw_rows.partner_id = raw_players.partner_id
    left join clean_rows
        on raw_rows.partner_id = clean_rows.partner_id
    left join quarantined_rows
        on raw_rows.partner_id = quarantined_rows.partner_id
    left join players
        on raw_rows.partner_id = players.partner_id
    left join quarantined_players
        on raw_rows.partner_id = quarantined_players.partner_id

)

select * from final
