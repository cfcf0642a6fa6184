select
    push_id,
    session_id,
    psa_ticket_id,
    status,
    retry_count,
    posted_at
from {{ ref('stg_flowpilot__psa_post_logs') }}
where {{ existed_at_as_of('posted_at') }}
