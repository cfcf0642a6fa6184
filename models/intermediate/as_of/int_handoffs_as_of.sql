select
    handoff_id,
    session_id,
    account_id,
    requested_by_user_id,
    claimed_by_user_id,
    status,
    created_at,
    {{ happened_by_as_of('claimed_at') }} as claimed_at
from {{ ref('stg_flowpilot__session_handoffs') }}
where {{ existed_at_as_of('created_at') }}
