{#- Every landed version of every step, renamed, without content: for reads that use the raw
    indexes (first step after a claim, earlier versions of new steps). A view; nothing copied.
    Deliberately a single select without CTEs: PostgreSQL does not pull a view that has a WITH
    clause up into the query that reads it, and then cannot drive the raw indexes from it. -#}
select
    id as step_id,
    session_id,
    {{ normalize_code('step_type') }} as step_type,
    created_at,
    _loaded_at
from {{ source('flowpilot', 'ai_session_steps') }}
