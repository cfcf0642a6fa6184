select
    account_id,
    account_name,
    timezone,
    has_valid_timezone,
    created_at
from {{ ref('stg_flowpilot__accounts') }}
where {{ existed_at_as_of('created_at') }}
