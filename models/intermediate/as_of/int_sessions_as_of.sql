select
    session_id,
    account_id,
    user_id,
    status,
    problem_domain,
    confidence_tier,
    matched_flow_id,
    psa_ticket_id,
    is_linked_to_ticket,
    step_count,
    session_rating,
    created_at,
    {{ happened_by_as_of('resolved_at') }} as resolved_at
from {{ ref('stg_flowpilot__ai_sessions') }}
where {{ existed_at_as_of('created_at') }}
