{{
    config(
        materialized=incremental_or_table(),
        unique_key='push_id',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['push_id'], 'unique': True}],
    )
}}

with

source as (
    select * from {{ source('flowpilot', 'psa_post_logs') }}
    where {{ loaded_since_last_run() }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as push_id,
        ai_session_id as session_id,
        {{ blank_to_null('psa_ticket_id') }} as psa_ticket_id,
        {{ normalize_code('status') }} as status,
        retry_count,
        posted_at,
        _loaded_at
    from deduplicated
)

select * from final
