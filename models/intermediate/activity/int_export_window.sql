{#- The data window every censoring decision hangs on: one row. The export month is the var
    `export_month` when set; otherwise the latest month that holds at least `export_month_min_share`
    of the median monthly row count and follows a month with rows, so a handful of stray
    future-dated rows cannot move it. -#}
with staged as (

    select activity_month from {{ ref('stg_partner__activity') }}
    where activity_month is not null

),

monthly_rows as (

    select activity_month, count(*) as n_rows
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

    select percentile_cont(0.5) within group (order by n_rows) as median_rows
    from monthly_rows

),

derived as (

    select
        min(monthly_with_previous.activity_month) as first_month,
        max(case
            when monthly_with_previous.n_rows >= {{ var('export_month_min_share') }} * typical.median_rows
                and monthly_with_previous.previous_month_rows is not null
                then monthly_with_previous.activity_month
        end) as latest_full_month
    from monthly_with_previous
    cross join typical

),

final as (

    select
        {% if var('data_start_month') -%}
        cast('{{ var("data_start_month") }}' as date) as data_start_month,
        'var' as data_start_month_source,
        {%- else -%}
        derived.first_month as data_start_month,
        'earliest activity month' as data_start_month_source,
        {%- endif %}
        {% if var('export_month') -%}
        cast('{{ var("export_month") }}' as date) as export_month,
        'var' as export_month_source,
        {%- else -%}
        derived.latest_full_month as export_month,
        'latest month with at least {{ var("export_month_min_share") }} x the median monthly rows'
            as export_month_source,
        {%- endif %}
        {{ var('churn_inactive_months') }} as churn_inactive_months
    from derived

)

select * from final
