{{ config(
    materialized='external',
    location=env_var('CHURN_EXPORT_ROOT', 'warehouse/exports') ~ '/churn_survival_curves',
    options={'partition_by': 'partner_id, geo', 'overwrite': true},
    format='parquet'
) }}
{#- churn_survival_curves as Parquet, hive-partitioned by partner_id and geo, for downstream
    systems that read files rather than the warehouse. Partner and all-partner rows use '_all'.
    Each build overwrites the folder, so no stale partition survives. -#}
select * from {{ ref('churn_survival_curves') }}
