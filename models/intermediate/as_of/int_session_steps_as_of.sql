select
    step_id,
    session_id,
    step_number,
    step_type,
    created_at
from {{ ref('stg_flowpilot__ai_session_steps') }}
where {{ existed_at_as_of('created_at') }}
