{#- Survival observations per player as seen at the export month and at earlier backtest cutoffs
    (var `survival_backtest_offsets`, months before the export month), and for each earlier cutoff
    the outcome the export later showed for the same players (`outcome_as_of` = 'export'), which
    the backtest scores against. At a cutoff, only the panel up to it is known: a churn counts when its K inactive months all fall on or before the cutoff.
    Discrete time in months: a churn at month t means alive in months 0..t-1; `exit_month` is t for
    an event; for a censored player the last month known alive (the last active month L) or, when
    that is more recent, the last month whose churn outcome the data can decide (followup - K + 1),
    so that censoring does not depend on the outcome. The player is at risk in months
    entry_month + 1 .. exit_month. -#}
{%- set k = var('churn_inactive_months') -%}
{%- set offsets = [0] + var('survival_backtest_offsets') -%}

with panel as (

    select * from {{ ref('fct_player_months') }}

),

lifetimes as (

    select * from {{ ref('fct_player_lifetimes') }}

),

export_window as (

    select * from {{ ref('int_export_window') }}

),

cutoffs as (

    {% for offset in offsets -%}
    select
        {{ offset }} as cutoff_offset_months,
        cast({{ dbt.dateadd('month', -offset, 'export_month') }} as date) as cutoff_month
    from export_window
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

as_of_cutoff as (

    select
        cutoffs.cutoff_offset_months,
        cutoffs.cutoff_month,
        panel.player_id,
        min(panel.months_active) as entry_month,
        max(panel.months_active) as followup_months,
        max(case when panel.is_active then panel.months_active end) as last_active_month,
        -- months_active of the cutoff month is the player's largest months_active up to it.
        min(case when panel.is_churn_start then panel.months_active end) as first_churn_month_seen
    from cutoffs
    inner join panel
        on panel.activity_month <= cutoffs.cutoff_month
    group by cutoffs.cutoff_offset_months, cutoffs.cutoff_month, panel.player_id

),

outcomes as (

    -- What was known at each cutoff ...
    select as_of_cutoff.*, 'cutoff' as outcome_as_of
    from as_of_cutoff

    union all

    -- ... and, for the backtest, what the export later showed for the same cohorts.
    select
        earlier.cutoff_offset_months,
        earlier.cutoff_month,
        at_export.player_id,
        at_export.entry_month,
        at_export.followup_months,
        at_export.last_active_month,
        at_export.first_churn_month_seen,
        'export' as outcome_as_of
    from as_of_cutoff as at_export
    inner join (select distinct cutoff_offset_months, cutoff_month, player_id from as_of_cutoff) as earlier
        on at_export.player_id = earlier.player_id
        and earlier.cutoff_offset_months > 0
    where at_export.cutoff_offset_months = 0

),

decided as (

    -- A churn counts once its K inactive months all lie inside this row's data.
    select
        outcomes.*,
        coalesce(first_churn_month_seen + {{ k }} - 1 <= followup_months, false) as is_event
    from outcomes

),

final as (

    select
        as_of_cutoff.cutoff_offset_months,
        as_of_cutoff.cutoff_month,
        as_of_cutoff.outcome_as_of,
        lifetimes.partner_id,
        lifetimes.geo,
        lifetimes.player_id,
        lifetimes.ftd_month,
        cast({{ dbt.date_trunc('year', 'lifetimes.ftd_month') }} as date) as ftd_year,
        lifetimes.product,
        coalesce(lifetimes.ben_login_id, 'unknown') as ben_login_id,
        as_of_cutoff.entry_month,
        as_of_cutoff.is_event,
        case
            when as_of_cutoff.is_event then as_of_cutoff.first_churn_month_seen
            -- Censored at the last month whose outcome the data can decide (K months must follow
            -- it): censoring at the last active month instead would keep recent survivors and drop
            -- recent churners, an upward bias.
            else greatest(as_of_cutoff.entry_month, least(
                as_of_cutoff.last_active_month, as_of_cutoff.followup_months - {{ k }} + 1))
        end as exit_month
    from decided as as_of_cutoff
    inner join lifetimes
        on as_of_cutoff.player_id = lifetimes.player_id
    -- A left-truncated player with no active month in the data is never known to be at risk.
    where as_of_cutoff.last_active_month is not null

)

select * from final
