{#- Life tables, set-wise for every group at once: per cutoff, pooling level (partition, partner,
    all), segment and month t >= 1: players at risk (entered before t, exit at or after t), churn
    events at t, censored at t (known alive through t, then unobserved), entering at t. -#}
{%- set levels = {
    'partition': ('partner_id', 'geo'),
    'partner': ('partner_id', "'_all'"),
    'all': ("'_all'", "'_all'")} -%}
{%- set segments = {
    'all': "'_all'",
    'product': 'product',
    'channel': 'ben_login_id',
    'ftd_year': "cast(extract(year from ftd_year) as " ~ dbt.type_string() ~ ")"} -%}

with observations as (

    select * from {{ ref('int_survival__observations') }}

),

grouped as (

    {% for level, keys in levels.items() -%}
    {% for segment_type, segment_expression in segments.items() -%}
    select
        cutoff_offset_months,
        outcome_as_of,
        '{{ level }}' as pooling_level,
        {{ keys[0] }} as partner_id,
        {{ keys[1] }} as geo,
        '{{ segment_type }}' as segment_type,
        {{ segment_expression }} as segment_value,
        entry_month,
        exit_month,
        is_event
    from observations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

exits as (

    select
        cutoff_offset_months, outcome_as_of, pooling_level, partner_id, geo, segment_type, segment_value,
        exit_month as month_number,
        count(*) as n_exits,
        count(case when is_event then 1 end) as n_events,
        count(case when not is_event then 1 end) as n_censored
    from grouped
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

entries as (

    select
        cutoff_offset_months, outcome_as_of, pooling_level, partner_id, geo, segment_type, segment_value,
        entry_month as month_number,
        count(*) as n_entries
    from grouped
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

groups as (

    select
        cutoff_offset_months, outcome_as_of, pooling_level, partner_id, geo, segment_type, segment_value,
        max(exit_month) as max_exit_month,
        count(*) as n_players
    from grouped
    group by 1, 2, 3, 4, 5, 6, 7

),

month_numbers as (

    select cast(generated_number as integer) - 1 as month_number
    from ({{ dbt.generate_series(200) }}) as series

),

grid as (

    select groups.*, month_numbers.month_number
    from groups
    inner join month_numbers
        on month_numbers.month_number <= groups.max_exit_month

),

counted as (

    select
        grid.cutoff_offset_months, grid.outcome_as_of, grid.pooling_level, grid.partner_id, grid.geo,
        grid.segment_type, grid.segment_value, grid.n_players, grid.month_number,
        coalesce(exits.n_exits, 0) as n_exits,
        coalesce(exits.n_events, 0) as n_events,
        coalesce(exits.n_censored, 0) as n_censored,
        coalesce(entries.n_entries, 0) as n_entries
    from grid
    left join exits
        on grid.cutoff_offset_months = exits.cutoff_offset_months
        and grid.outcome_as_of = exits.outcome_as_of
        and grid.pooling_level = exits.pooling_level
        and grid.partner_id = exits.partner_id
        and grid.geo = exits.geo
        and grid.segment_type = exits.segment_type
        and grid.segment_value = exits.segment_value
        and grid.month_number = exits.month_number
    left join entries
        on grid.cutoff_offset_months = entries.cutoff_offset_months
        and grid.outcome_as_of = entries.outcome_as_of
        and grid.pooling_level = entries.pooling_level
        and grid.partner_id = entries.partner_id
        and grid.geo = entries.geo
        and grid.segment_type = entries.segment_type
        and grid.segment_value = entries.segment_value
        and grid.month_number = entries.month_number

),

final as (

    select
        cutoff_offset_months,
        outcome_as_of,
        pooling_level,
        partner_id,
        geo,
        segment_type,
        segment_value,
        n_players,
        month_number,
        -- At risk in month t: entered at a month before t and not exited before t.
        cast(coalesce(sum(n_entries) over cumulative_before, 0)
            - coalesce(sum(n_exits) over cumulative_before, 0) as bigint)
            as n_at_risk,
        n_events,
        n_censored,
        n_entries
    from counted
    window cumulative_before as (
        partition by cutoff_offset_months, outcome_as_of, pooling_level, partner_id, geo, segment_type, segment_value
        order by month_number
        rows between unbounded preceding and 1 preceding
    )

)

select * from final
where month_number >= 1
