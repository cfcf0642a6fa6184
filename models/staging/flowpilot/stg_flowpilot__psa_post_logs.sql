with

source as (
    select * from {{ source('flowpilot', 'psa_post_logs') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc') }}
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
