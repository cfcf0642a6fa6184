select
    flow_id,
    account_id,
    flow_name,
    tree_type,
    origin,
    category_id,
    is_active,
    {{ happened_by_as_of('deleted_at') }} as deleted_at,
    is_active and {{ happened_by_as_of('deleted_at') }} is null as is_live,
    created_at
from {{ ref('stg_flowpilot__trees') }}
where {{ existed_at_as_of('created_at') }}
