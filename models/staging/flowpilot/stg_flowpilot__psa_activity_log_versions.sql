{#- Every landed version of every PSA activity: the session each version named, so that an
    incremental aggregate also recomputes the session a replayed activity left. A view over
    raw. -#}
select
    id as activity_id,
    session_id,
    _loaded_at
from {{ source('flowpilot', 'psa_activity_logs') }}
