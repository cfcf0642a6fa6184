-- Indexes the application's own database has (primary keys and the foreign-key and filter
-- indexes its queries use); the endpoint strategy (d) of flowpilot bench is measured with them.
create index if not exists app_sessions_id on raw.ai_sessions (id);
create index if not exists app_sessions_account_created on raw.ai_sessions (account_id, created_at);
create index if not exists app_handoffs_account_claimed on raw.session_handoffs (account_id, claimed_at);
create index if not exists app_trees_account on raw.trees (account_id);
create index if not exists app_categories_id on raw.tree_categories (id);
create index if not exists app_proposals_account on raw.flow_proposals (account_id);
create index if not exists app_posts_session on raw.psa_post_logs (ai_session_id, posted_at);
create index if not exists app_activities_account_created on raw.psa_activity_logs (account_id, created_at);
analyze;
