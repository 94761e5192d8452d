{#- Post-hook of int_export_window: stops the build with a sentence when the export has no data
    window, or one too short to see a churn (churn_inactive_months + 1 months), instead of leaving
    a null window to fail data tests further down. -#}
{% macro assert_usable_export_window() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set k = churn_inactive_months() -%}
    {%- set window_sql -%}
        select
            cast(data_start_month as {{ dbt.type_string() }}),
            cast(export_month as {{ dbt.type_string() }}),
            {{ dbt.datediff('data_start_month', 'export_month', 'month') }} + 1,
            data_start_month_source,
            export_month_source,
            cast(earliest_plausible_date as {{ dbt.type_string() }})
        from {{ this }}
    {%- endset -%}
    {%- set window = run_query(window_sql).rows[0] -%}
    {%- set data_start, export_month, n_months = window[0], window[1], window[2] -%}
    {%- set path = raw_activity_path() -%}
    {%- if data_start is none or export_month is none -%}
        {%- set is_plausible = is_plausible_date(
            'staged.activity_month', 'export_window.earliest_plausible_date') -%}
        {%- set counts_sql -%}
            select
                count(*),
                count(case when {{ is_plausible }} then 1 end),
                count(distinct case when {{ is_plausible }} then staged.activity_month end)
            from {{ ref('stg_partner__activity') }} as staged
            cross join {{ this }} as export_window
        {%- endset -%}
        {%- set counts = run_query(counts_sql).rows[0] -%}
        {%- if counts[0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "The partner export '" ~ path ~ "' has no rows (only a header?): there is nothing to model.") }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "The partner export '" ~ path ~ "' has no data window: of its " ~ counts[0]
            ~ " rows, " ~ counts[1] ~ " carry an activity month from " ~ window[5]
            ~ " on, in " ~ counts[2] ~ " distinct month(s); the "
            ~ ("export month" if export_month is none else "data start")
            ~ " needs consecutive months with typical row counts. Send a longer export or pin"
            ~ " the vars data_start_month and export_month.") }}
    {%- endif -%}
    {%- if n_months < k + 1 -%}
        {{ exceptions.raise_compiler_error(
            "The data window of the partner export '" ~ path ~ "' runs from " ~ data_start
            ~ " (" ~ window[3] ~ ") to " ~ export_month ~ " (" ~ window[4] ~ "): "
            ~ n_months ~ " month(s), too short to model; at least " ~ (k + 1)
            ~ " months (churn_inactive_months + 1) are needed before a churn can be seen.") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Post-hook of dq_reconciliation: says in the build log when no row of the export is clean (the
    build still completes, empty and balanced), or when most of it is quarantined. -#}
{% macro warn_about_export_quality() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set totals_sql -%}
        select coalesce(sum(n_raw_rows), 0), coalesce(sum(n_clean_rows), 0),
            coalesce(sum(n_quarantined_rows), 0), coalesce(sum(n_players), 0)
        from {{ this }}
    {%- endset -%}
    {%- set totals = run_query(totals_sql).rows[0] -%}
    {%- if totals[0] > 0 and totals[2] * 2 > totals[0] -%}
        {%- set reasons_sql -%}
            select reason_code, count(*) as n_rows from {{ ref('dq_quarantine') }}
            group by reason_code order by n_rows desc, reason_code limit 3
        {%- endset -%}
        {%- set reasons = [] -%}
        {%- for row in run_query(reasons_sql).rows -%}
            {%- do reasons.append(row[0] ~ ' ' ~ row[1]) -%}
        {%- endfor -%}
        {%- if totals[1] == 0 -%}
            {%- set headline = "No row of the partner export is clean: all " ~ totals[0]
                ~ " rows are quarantined" -%}
        {%- else -%}
            {%- set headline = "Most of the partner export is quarantined: " ~ totals[2]
                ~ " of " ~ totals[0] ~ " rows" -%}
        {%- endif -%}
        {%- do exceptions.warn(headline ~ " (top reasons: " ~ reasons | join(', ')
            ~ "); the warehouse holds " ~ totals[3] ~ " player(s). See marts.dq_quarantine.") -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
