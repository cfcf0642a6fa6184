with

source as (
    select * from {{ source('flowpilot', 'flow_proposals') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as proposal_id,
        account_id,
        session_id,
        {{ normalize_code('status') }} as status,
        created_at,
        reviewed_at,
        _loaded_at
    from deduplicated
)

select * from final
