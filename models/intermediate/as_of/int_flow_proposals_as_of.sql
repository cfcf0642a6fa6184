select
    proposal_id,
    account_id,
    session_id,
    status,
    created_at,
    {{ happened_by_as_of('reviewed_at') }} as reviewed_at
from {{ ref('stg_flowpilot__flow_proposals') }}
where {{ existed_at_as_of('created_at') }}
