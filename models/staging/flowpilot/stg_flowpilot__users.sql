with

source as (
    select * from {{ source('flowpilot', 'users') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc') }}
),

final as (
    select
        id as user_id,
        account_id,
        {{ normalize_code('role') }} as user_role,
        created_at,
        _loaded_at
    from deduplicated
)

select * from final
