{#- One row per player: a partner's account in one state. Player attributes come from the player's
    earliest clean row on or after the FTD month; dates are the earliest seen. A depositor all of
    whose rows are all-zero stays a player when the FTD month is inside the data window (the FTD
    month is active by definition); attributes then come from those rows. -#}
with validated as (

    select * from {{ ref('int_activity__validated') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

clean_rows as (

    select
        raw_row_id,
        partner_id,
        geo,
        account_id,
        activity_month,
        reg_date,
        ftd_date,
        qp_date,
        ben_login_id,
        tracker_id,
        product,
        is_activity_before_ftd,
        is_ftd_before_reg,
        is_qp_before_ftd,
        is_negative_deposit,
        true as is_clean
    from {{ ref('int_activity__clean') }}

),

all_zero_depositor_rows as (

    select
        validated.raw_row_id,
        validated.partner_id,
        validated.geo,
        validated.account_id,
        validated.activity_month,
        validated.reg_date,
        validated.ftd_date,
        validated.qp_date,
        validated.ben_login_id,
        validated.tracker_id,
        validated.product,
        validated.is_activity_before_ftd,
        validated.is_ftd_before_reg,
        validated.is_qp_before_ftd,
        validated.is_negative_deposit,
        false as is_clean
    from validated
    cross join export_window
    left join clean_rows
        on validated.partner_id = clean_rows.partner_id
            and validated.geo = clean_rows.geo
            and validated.account_id = clean_rows.account_id
    where validated.reason_code = 'all_zero_activity'
        and clean_rows.raw_row_id is null
        and validated.ftd_date >= export_window.data_start_month
        and validated.ftd_date < {{ dbt.dateadd('month', 1, 'export_window.export_month') }}

),

player_rows as (

    select * from clean_rows
    union all
    select * from all_zero_depositor_rows

),

first_rows as (

    select
        partner_id,
        geo,
        account_id,
        ben_login_id,
        tracker_id,
        product,
        row_number() over (
            partition by partner_id, geo, account_id
            order by case when is_activity_before_ftd then 1 else 0 end, activity_month, raw_row_id
        ) as row_order
    from player_rows

),

player_facts as (

    select
        partner_id,
        geo,
        account_id,
        min(reg_date) as reg_date,
        min(ftd_date) as ftd_date,
        min(qp_date) as qp_date,
        count(case when is_clean then 1 end) as n_clean_rows,
        min(case when is_clean then activity_month end) as first_activity_month,
        max(case when is_clean then activity_month end) as last_activity_month,
        count(case when is_clean and is_activity_before_ftd then 1 end) as n_rows_before_ftd,
        max(case when is_ftd_before_reg then 1 else 0 end) = 1 as has_ftd_before_reg,
        max(case when is_qp_before_ftd then 1 else 0 end) = 1 as has_qp_before_ftd,
        max(case when is_negative_deposit then 1 else 0 end) = 1 as has_negative_deposit
    from player_rows
    group by partner_id, geo, account_id

),

final as (

    select
        {{ dbt.hash("player_facts.partner_id || '|' || player_facts.geo || '|' || player_facts.account_id") }}
            as player_id,
        player_facts.partner_id,
        player_facts.geo,
        player_facts.account_id,
        player_facts.reg_date,
        player_facts.ftd_date,
        cast({{ dbt.date_trunc('month', 'player_facts.ftd_date') }} as date) as ftd_month,
        player_facts.qp_date,
        first_rows.ben_login_id,
        first_rows.tracker_id,
        first_rows.product,
        -- The panel starts at the FTD month, or at the data start for players who deposited before
        -- the export begins (left truncation: they enter the risk set late).
        greatest(
            cast({{ dbt.date_trunc('month', 'player_facts.ftd_date') }} as date),
            export_window.data_start_month
        ) as panel_start_month,
        player_facts.ftd_date < export_window.data_start_month as is_left_truncated,
        player_facts.ftd_date >= {{ dbt.dateadd('month', 1, 'export_window.export_month') }}
            as is_ftd_after_export_month,
        player_facts.n_clean_rows,
        player_facts.first_activity_month,
        player_facts.last_activity_month,
        player_facts.n_rows_before_ftd,
        player_facts.has_ftd_before_reg,
        player_facts.has_qp_before_ftd,
        player_facts.has_negative_deposit
    from player_facts
    inner join first_rows
        on player_facts.partner_id = first_rows.partner_id
            and player_facts.geo = first_rows.geo
            and player_facts.account_id = first_rows.account_id
            and first_rows.row_order = 1
    cross join export_window

)

select * from final
