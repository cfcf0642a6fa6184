{{
    config(
        materialized=incremental_or_table(),
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['activity_id'], 'unique': True}],
    )
}}

with

source as (
    select * from {{ source('flowpilot', 'psa_activity_logs') }}
    where {{ loaded_since_last_run() }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as activity_id,
        account_id,
        session_id,
        {{ normalize_code('activity_type') }} as activity_type,
        cast(coalesce(hours_logged, 0) as {{ type_hours() }}) as hours_logged,
        hours_logged is null as is_hours_missing,
        created_at,
        _loaded_at
    from deduplicated
)

select * from final
