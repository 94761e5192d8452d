-- Every data problem with its count (zero included): rows quarantined by reason, rows kept with a
-- flag (reason codes from the seed dq_reason_codes), and values normalised on the way in
-- (state-code and product-label variants, blank trackers).
with

validated as (
    select * from {{ ref('int_activity__validated') }}
),

clean as (
    select * from {{ ref('int_activity__clean') }}
),

reason_codes as (
    select * from {{ ref('dq_reason_codes') }}
),

quarantined as (
    select
        reason_code as problem,
        count(*) as n_rows,
        count(distinct coalesce(raw_partner_id, '') || '|' || coalesce(raw_account_id, '')) as n_accounts
    from validated
    where reason_code is not null
    group by reason_code
),

flag_rows as (
    select
        'activity_before_ftd' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_activity_before_ftd
    union all
    select
        'ftd_before_reg' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_ftd_before_reg
    union all
    select
        'qp_before_ftd' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_qp_before_ftd
    union all
    select
        'negative_deposit' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_negative_deposit
    union all
    select
        'negative_ngr' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_negative_ngr
    union all
    select
        'ftd_date_filled' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where is_ftd_date_filled
),

flagged as (
    select
        problem,
        count(*) as n_rows,
        count(distinct partner_id || '|' || geo || '|' || account_id) as n_accounts
    from flag_rows
    group by problem
),

normalised_rows as (
    -- The clean rows are the validated rows without a reason: raw and normalised values side by side.
    select
        'brand_id_variant' as problem,
        partner_id,
        geo,
        account_id
    from validated
    where reason_code is null and raw_brand_id <> geo
    union all
    select
        'product_label_variant' as problem,
        partner_id,
        geo,
        account_id
    from validated
    where reason_code is null and raw_player_reg_product <> product
    union all
    select
        'blank_tracker_id' as problem,
        partner_id,
        geo,
        account_id
    from clean
    where tracker_id is null
),

normalised as (
    select
        problem,
        count(*) as n_rows,
        count(distinct partner_id || '|' || geo || '|' || account_id) as n_accounts
    from normalised_rows
    group by problem
),

normalised_descriptions as (
    select
        'brand_id_variant' as problem,
        'brand_id in another case, padded or a state name: normalised to the state code' as description,
        201 as check_order
    union all
    select
        'product_label_variant' as problem,
        'product label spelled another way: mapped through the seed product_label_map' as description,
        202 as check_order
    union all
    select
        'blank_tracker_id' as problem,
        'tracker_id empty or blank: kept as null' as description,
        203 as check_order
),

problem_list as (
    select
        reason_code as problem,
        action,
        check_order,
        description
    from reason_codes
    union all
    select
        problem,
        'normalise' as action,
        check_order,
        description
    from normalised_descriptions
),

counts as (
    select * from quarantined
    union all
    select * from flagged
    union all
    select * from normalised
),

final as (
    select
        problem_list.problem,
        problem_list.action,
        problem_list.check_order,
        problem_list.description,
        coalesce(counts.n_rows, 0) as n_rows,
        1.0 * coalesce(counts.n_rows, 0) / (select count(*) from validated) as share_of_raw_rows,
        coalesce(counts.n_accounts, 0) as n_accounts
    from problem_list
    left join counts
        on problem_list.problem = counts.problem
)

select * from final
