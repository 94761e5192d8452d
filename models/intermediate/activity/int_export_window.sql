{#- The data window every censoring decision hangs on: one row. Each end is its var when set;
    otherwise derived from the row counts of the months holding plausible dates, so that stray
    rows cannot move it: the export month is the latest month holding at least
    `export_month_min_share` of the median monthly row count and following a month with rows, the
    data start the first month of the unbroken run of months holding at least
    `data_start_min_share` of it that reaches the export month. A window that is missing or too short to see a churn stops the build with a
    sentence (post-hook). -#}
{{ config(post_hook="{{ assert_usable_export_window() }}") }}
{%- set earliest_date = date_var('earliest_plausible_date') -%}
{%- set export_month_share = number_var('export_month_min_share', minimum=0, maximum=1) -%}
{%- set data_start_share = number_var('data_start_min_share', minimum=0, maximum=1) -%}
{%- set export_month_pin = month_var('export_month') -%}
{%- set data_start_pin = month_var('data_start_month') -%}

with staged as (

    -- Months outside the plausible range (before the earliest plausible date, or DuckDB's
    -- `infinity`) never make the window; their rows are quarantined.
    select activity_month from {{ ref('stg_partner__activity') }}
    where {{ is_plausible_date('activity_month', 'cast(' ~ sql_literal(earliest_date) ~ ' as date)') }}

),

monthly_rows as (

    select
        activity_month,
        count(*) as n_rows
    from staged
    group by activity_month

),

monthly_with_previous as (

    select
        monthly_rows.activity_month,
        monthly_rows.n_rows,
        previous_month.n_rows as previous_month_rows
    from monthly_rows
    left join monthly_rows as previous_month
        on previous_month.activity_month
            = cast({{ dbt.dateadd('month', -1, 'monthly_rows.activity_month') }} as date)

),

typical as (

    select
        percentile_cont(0.5) within group (
            order by n_rows
        ) as median_rows
    from monthly_rows

),

derived_export_month as (

    select
        max(case
            when monthly_with_previous.n_rows >= {{ export_month_share }} * typical.median_rows
                and monthly_with_previous.previous_month_rows is not null
                then monthly_with_previous.activity_month
        end) as latest_full_month
    from monthly_with_previous
    cross join typical

),

export_month_end as (

    select
        {% if export_month_pin -%}
        cast({{ sql_literal(export_month_pin) }} as date) as export_month,
        'var' as export_month_source
        {%- else -%}
            latest_full_month as export_month,
        {{ sql_literal('latest month with at least ' ~ export_month_share
            ~ ' x the median monthly rows, after a month with rows') }} as export_month_source
        {%- endif %}
    from derived_export_month

),

dense_months as (

    -- Months holding at least data_start_min_share x the median rows, with the dense month before.
    select
        monthly_rows.activity_month,
        lag(monthly_rows.activity_month)
            over (
                order by monthly_rows.activity_month
            )
            as previous_dense_month
    from monthly_rows
    cross join typical
    where monthly_rows.n_rows >= {{ data_start_share }} * typical.median_rows

),

derived_data_start as (

    -- The first month of the unbroken run of dense months that reaches the export month: a stray
    -- row far before the bulk (a gap or a thin month between) cannot move it.
    select max(dense_months.activity_month) as run_start_month
    from dense_months
    cross join export_month_end
    where dense_months.activity_month <= export_month_end.export_month
        and (
            dense_months.previous_dense_month is null
            or dense_months.previous_dense_month
            <> cast({{ dbt.dateadd('month', -1, 'dense_months.activity_month') }} as date)
        )

),

window_ends as (

    select
        {% if data_start_pin -%}
        cast({{ sql_literal(data_start_pin) }} as date) as data_start_month,
        'var' as data_start_month_source,
        {%- else -%}
            derived_data_start.run_start_month as data_start_month,
        {{ sql_literal('first month of the unbroken run of months with at least ' ~ data_start_share
            ~ ' x the median monthly rows that reaches the export month') }} as data_start_month_source,
        {%- endif %}
        export_month_end.export_month,
        export_month_end.export_month_source
    from export_month_end
    cross join derived_data_start

),

final as (

    select
        data_start_month,
        data_start_month_source,
        export_month,
        export_month_source,
        cast({{ sql_literal(earliest_date) }} as date) as earliest_plausible_date,
        -- Dates up to the end of the month after the export month are plausible (an export is
        -- written after its last month closes).
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 2, 'export_month')) }} as date)
            as latest_plausible_date,
        {{ churn_inactive_months() }} as churn_inactive_months
    from window_ends

)

select * from final
