{#- Every landed version of every PSA push: the session each version named, so that an
    incremental aggregate also recomputes the session a replayed push left. A view over raw. -#}
select
    id as push_id,
    ai_session_id as session_id,
    _loaded_at
from {{ source('flowpilot', 'psa_post_logs') }}
