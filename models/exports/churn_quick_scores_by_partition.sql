{{ config(
    materialized='external',
    location=env_var('CHURN_EXPORT_ROOT', 'warehouse/exports') ~ '/churn_quick_scores',
    options={'partition_by': 'partner_id, geo', 'overwrite': true},
    format='parquet'
) }}
{#- churn_quick_scores as Parquet, hive-partitioned by partner_id and geo, for downstream systems
    that read files rather than the warehouse. Each build overwrites the folder, so no stale
    partition survives. -#}
select * from {{ ref('churn_quick_scores') }}
