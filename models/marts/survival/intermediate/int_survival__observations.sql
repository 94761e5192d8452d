{#- Survival observations per player as seen at the export month (fct_player_lifetimes, THE outcome)
    and at earlier backtest cutoffs (var `survival_backtest_offsets`, months before the export
    month; the same definition, macro `survival_outcome`, on the panel up to each cutoff), and for
    each earlier cutoff the outcome the export later showed for the same players
    (`outcome_as_of` = 'export'), which the backtest scores against. At risk in months
    entry_month + 1 .. duration_months. -#}
{%- set offsets = var('survival_backtest_offsets') -%}
{%- for offset in offsets -%}
    {%- if offset is not integer or offset < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var survival_backtest_offsets must list whole numbers of months >= 1, got '" ~ offset ~ "'.") }}
    {%- endif -%}
{%- endfor %}

with lifetimes as (

    select * from {{ ref('fct_player_lifetimes') }}

),

panel as (

    select * from {{ ref('fct_player_months') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

{% if offsets -%}
    earlier_cutoffs as (

        {% for offset in offsets -%}
            select
                {{ offset }} as cutoff_offset_months,
                cast({{ dbt.dateadd('month', -offset, 'export_month') }} as date) as cutoff_month
            from export_window
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),

    at_earlier_cutoffs as (

        {{ survival_outcome('panel', 'earlier_cutoffs') }}
    ),
{%- endif %}

outcomes as (

    -- What was known at the export ...
    select
        0 as cutoff_offset_months,
        export_month as cutoff_month,
        'cutoff' as outcome_as_of,
        player_id,
        entry_month,
        last_active_month,
        is_churned,
        duration_months
    from lifetimes
    {% if offsets -%}

        union all

        -- ... and at each earlier cutoff ...
        select
            cutoff_offset_months,
            cutoff_month,
            'cutoff' as outcome_as_of,
            player_id,
            entry_month,
            last_active_month,
            is_churned,
            duration_months
        from at_earlier_cutoffs

        union all

        -- ... and, for the backtest, what the export later showed for the same players.
        select
            at_earlier_cutoffs.cutoff_offset_months,
            at_earlier_cutoffs.cutoff_month,
            'export' as outcome_as_of,
            lifetimes.player_id,
            lifetimes.entry_month,
            lifetimes.last_active_month,
            lifetimes.is_churned,
            lifetimes.duration_months
        from at_earlier_cutoffs
        inner join lifetimes
            on at_earlier_cutoffs.player_id = lifetimes.player_id
    {%- endif %}

),

final as (

    select
        outcomes.cutoff_offset_months,
        outcomes.cutoff_month,
        outcomes.outcome_as_of,
        lifetimes.partner_id,
        lifetimes.geo,
        lifetimes.player_id,
        lifetimes.ftd_month,
        cast({{ dbt.date_trunc('year', 'lifetimes.ftd_month') }} as date) as ftd_year,
        lifetimes.product,
        coalesce(lifetimes.ben_login_id, 'unknown') as ben_login_id,
        outcomes.entry_month,
        outcomes.is_churned,
        outcomes.duration_months
    from outcomes
    inner join lifetimes
        on outcomes.player_id = lifetimes.player_id
    -- A left-truncated player with no active month in the data is never known to be at risk.
    where outcomes.last_active_month is not null

)

select * from final
