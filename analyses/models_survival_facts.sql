-- The numbers the survival sections quote: partners and products at S(12), S(1), the hazard at
-- months 1 to 24 and whether it falls, the largest partner's states shown in the state figure,
-- the tail models chosen for the partitions and how far the tails missed in the backtest. One row.
with

summary as (
    select * from {{ ref('churn_survival_summary') }}
    where segment_type = 'all'
),

curves as (
    select * from {{ ref('churn_survival_curves') }}
    where pooling_level = 'all'
),

tail_fits as (
    select * from {{ ref('rpt_tail_fits') }}
    where pooling_level = 'partition'
),

backtest_errors as (
    select * from {{ ref('rpt_survival_backtest_errors') }}
),

states_shown as (
    select * from {{ ref('rpt_survival_states_shown') }}
),

partners as (
    select
        arg_max(partner_id, survival_12) as best_partner,
        max(survival_12) as best_partner_s12,
        arg_min(partner_id, survival_12) as worst_partner,
        min(survival_12) as worst_partner_s12
    from summary
    where pooling_level = 'partner'
),

products as (
    select
        arg_max(segment_value, survival) as best_product,
        max(survival) as best_product_s12,
        arg_min(segment_value, survival) as worst_product,
        min(survival) as worst_product_s12
    from curves
    where segment_type = 'product' and month_number = 12
),

overall as (
    select
        max(case when month_number = 1 then survival end) as s1,
        max(case when month_number = 1 then hazard end) as hazard_1,
        max(case when month_number = 2 then hazard end) as hazard_2,
        max(case when month_number = 6 then hazard end) as hazard_6,
        max(case when month_number = 12 then hazard end) as hazard_12,
        max(case when month_number = 24 then hazard end) as hazard_24
    from curves
    where segment_type = 'all'
),

states as (
    select
        min(partner_id) as states_partner,
        count(*) as n_states_shown,
        sum(case when last_observed_month < 60 then 1 else 0 end) as n_states_extrapolated,
        coalesce(arg_min(case when last_observed_month < 60 then geo end, last_observed_month), 'none')
            as shortest_state,
        coalesce(min(case when last_observed_month < 60 then last_observed_month end), 60)
            as shortest_state_months
    from states_shown
),

tails as (
    select
        string_agg(
            case when n_chosen > 0 then model || ' ' || n_chosen end, ', '
            order by n_chosen desc, model asc
        ) as partition_tail_choice,
        coalesce(sum(case when model = 'parent' then n_groups end), 0) as n_partition_parent_tail,
        min(case when model <> 'parent' then median_backtest_mae end) as partition_backtest_mae_min,
        max(case when model <> 'parent' then median_backtest_mae end) as partition_backtest_mae_max
    from tail_fits
),

cutoffs as (
    select
        string_agg(
            cast(cutoff_offset_months as varchar), ' and '
            order by cutoff_offset_months)
            as backtest_cutoffs
    from (select distinct cutoff_offset_months from backtest_errors) as distinct_cutoffs
),

backtest as (
    select
        sum(case when pooling_level = 'partition' then n_groups * mean_absolute_error end)
        / sum(case when pooling_level = 'partition' then n_groups end) as backtest_partition_mae,
        sum(case when pooling_level = 'partition' then n_groups * mean_error end)
        / sum(case when pooling_level = 'partition' then n_groups end) as backtest_partition_bias,
        max(case when pooling_level = 'partition' then max_absolute_error end) as backtest_partition_max,
        sum(
            case
                when pooling_level = 'partition' and horizon_months = 12
                    then n_groups * mean_absolute_error
            end
        )
        / sum(case when pooling_level = 'partition' and horizon_months = 12 then n_groups end)
            as backtest_partition_mae_12,
        sum(case when pooling_level = 'partner' then n_groups * mean_absolute_error end)
        / sum(case when pooling_level = 'partner' then n_groups end) as backtest_partner_mae
    from backtest_errors
),

final as (
    select
        partners.*,
        products.*,
        overall.*,
        overall.hazard_12 < overall.hazard_1 and overall.hazard_24 <= overall.hazard_12
            as is_hazard_falling,
        states.*,
        tails.*,
        cutoffs.*,
        backtest.*,
        100 * backtest.backtest_partition_mae as backtest_partition_mae_points,
        100 * backtest.backtest_partner_mae as backtest_partner_mae_points
    from partners
    cross join products
    cross join overall
    cross join states
    cross join tails
    cross join cutoffs
    cross join backtest
)

select * from final
