{{
    config(
        materialized=incremental_or_table(),
        unique_key='handoff_id',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['handoff_id'], 'unique': True}],
    )
}}

with

source as (
    select * from {{ source('flowpilot', 'session_handoffs') }}
    where {{ loaded_since_last_run() }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as handoff_id,
        session_id,
        account_id,
        requested_by_user_id,
        claimed_by_user_id,
        {{ normalize_code('status') }} as status,
        created_at,
        claimed_at,
        _loaded_at
    from deduplicated
)

select * from final
