with

source as (
    select * from {{ source('flowpilot', 'session_handoffs') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc') }}
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
