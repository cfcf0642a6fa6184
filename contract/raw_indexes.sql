-- Indexes the metrics build relies on. The raw contract has no keys (landed data
-- is not trusted), but whoever lands the raw tables should create these: the
-- demo loader does. Each one serves a named step of the build.

-- First action after a claim: the earliest step of a session after an instant
-- (int_handoffs_first_action_joined reads it with an index scan per claimed handoff).
create index if not exists ai_session_steps_session_created_idx
    on raw.ai_session_steps (session_id, created_at);
