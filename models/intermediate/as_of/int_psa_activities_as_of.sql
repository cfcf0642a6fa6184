select
    activity_id,
    account_id,
    session_id,
    activity_type,
    hours_logged,
    created_at
from {{ ref('stg_flowpilot__psa_activity_logs') }}
where {{ existed_at_as_of('created_at') }}
