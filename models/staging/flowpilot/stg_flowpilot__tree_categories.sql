with

source as (
    select * from {{ source('flowpilot', 'tree_categories') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as category_id,
        account_id,
        name as category_name,
        {{ normalize_code('name') }} as category_domain,
        _loaded_at
    from deduplicated
)

select * from final
