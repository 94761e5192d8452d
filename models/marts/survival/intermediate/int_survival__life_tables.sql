{#- Life tables, set-wise for every group at once: per cutoff, pooling level (partition, partner,
    all), segment and month t >= 1: players at risk (entered before t, exit at or after t), churn
    events at t, censored at t (known alive through t, then unobserved), entering at t. -#}
{%- set keys = survival_group_keys() -%}
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
                {{ keys[0] }},
                {{ keys[1] }},
                '{{ segment_type }}' as segment_type,
                {{ segment_expression }} as segment_value,
                entry_month,
                duration_months,
                is_churned
            from observations
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

movements as (

    -- Every player leaves the risk set at the exit month (by churn or censoring) and enters it
    -- after the entry month: one row per group and month with both counts.
    select
        {{ keys | join(', ') }}, month_number,
        sum(n_exits) as n_exits,
        sum(n_events) as n_events,
        sum(n_censored) as n_censored,
        sum(n_entries) as n_entries
    from (
        select
            {{ keys | join(', ') }}, duration_months as month_number, 1 as n_exits,
            case when is_churned then 1 else 0 end as n_events,
            case when is_churned then 0 else 1 end as n_censored,
            0 as n_entries
        from grouped
        union all
        select
            {{ keys | join(', ') }}, entry_month as month_number, 0 as n_exits, 0 as n_events,
            0 as n_censored, 1 as n_entries
        from grouped
    ) as player_movements
    group by {{ keys | join(', ') }}, month_number

),

groups as (

    select
        {{ keys | join(', ') }},
        max(duration_months) as max_duration_months,
        count(*) as n_players
    from grouped
    group by {{ keys | join(', ') }}

),

month_numbers as (

    -- Months 0..1199: a hundred years of tenure, beyond any FTD the data can hold.
    select cast(generated_number as integer) - 1 as month_number
    from ({{ dbt.generate_series(1200) }}) as series

),

counted as (

    select
        {% for key in keys %}groups.{{ key }},
        {% endfor %}groups.n_players,
        month_numbers.month_number,
        coalesce(movements.n_exits, 0) as n_exits,
        coalesce(movements.n_events, 0) as n_events,
        coalesce(movements.n_censored, 0) as n_censored,
        coalesce(movements.n_entries, 0) as n_entries
    from groups
    inner join month_numbers
        on groups.max_duration_months >= month_numbers.month_number
    left join movements
        on {{ join_on_keys('groups', 'movements', keys) }}
            and month_numbers.month_number = movements.month_number

),

final as (

    select
        {{ keys | join(', ') }},
        n_players,
        month_number,
        -- At risk in month t: entered at a month before t and not exited before t.
        cast(
            coalesce(sum(n_entries) over cumulative_before, 0)
            - coalesce(sum(n_exits) over cumulative_before, 0) as bigint)
            as n_at_risk,
        n_events,
        n_censored,
        n_entries
    from counted
    window cumulative_before as (
        partition by {{ keys | join(', ') }}
        order by month_number
        rows between unbounded preceding and 1 preceding
    )

)

select * from final
where month_number >= 1
