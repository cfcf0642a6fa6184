with

source as (
    select * from {{ source('flowpilot', 'trees') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as flow_id,
        account_id,
        name as flow_name,
        {{ normalize_code('tree_type') }} as tree_type,
        {{ normalize_code('origin') }} as origin,
        category_id,
        is_active,
        deleted_at,
        created_at,
        updated_at,
        _loaded_at
    from deduplicated
)

select * from final
