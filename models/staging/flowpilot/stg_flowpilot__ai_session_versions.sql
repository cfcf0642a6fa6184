{#- Every landed version of every session: the account and creation instant each version had,
    so that an incremental aggregate also recomputes the days a replayed session left. A view
    over raw; a single select, like stg_flowpilot__ai_session_step_versions. -#}
select
    id as session_id,
    account_id,
    created_at,
    _loaded_at
from {{ source('flowpilot', 'ai_sessions') }}
