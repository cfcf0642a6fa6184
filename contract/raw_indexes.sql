-- Indexes the metrics build relies on. The raw contract has no keys (landed data is not
-- trusted), but whoever lands the raw tables should create these; the demo loader does.
-- Each one serves a named step of the build (docs/physical_design.md).

-- First action after a claim: the earliest step of a session after an instant, read with one
-- index scan per claimed handoff (int_handoffs_first_step_found).
create index if not exists ai_session_steps_session_created_idx
    on raw.ai_session_steps (session_id, created_at);

-- Whether a step row is the latest version of its id (a probe per candidate step), and which
-- sessions held earlier versions of newly landed steps (incremental builds).
-- (id, _loaded_at) answers it from the index alone once the table is vacuumed.
create index if not exists ai_session_steps_id_loaded_idx
    on raw.ai_session_steps (id, _loaded_at);

-- Incremental builds read only the rows landed since the last run. For the steps, a btree:
-- it also answers max(_loaded_at), the watermark a full refresh of the first-step facts
-- records, without a scan of the largest table.
create index if not exists ai_session_steps_loaded_idx
    on raw.ai_session_steps (_loaded_at);
-- The other tables are small enough for BRIN: replication appends rows in landing order, so
-- a BRIN index on _loaded_at is tiny and skips all older blocks.
create index if not exists ai_sessions_loaded_brin
    on raw.ai_sessions using brin (_loaded_at) with (pages_per_range = 16);
create index if not exists session_handoffs_loaded_brin
    on raw.session_handoffs using brin (_loaded_at) with (pages_per_range = 16);
create index if not exists psa_post_logs_loaded_brin
    on raw.psa_post_logs using brin (_loaded_at) with (pages_per_range = 16);
create index if not exists psa_activity_logs_loaded_brin
    on raw.psa_activity_logs using brin (_loaded_at) with (pages_per_range = 16);
