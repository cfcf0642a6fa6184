-- GET /analytics/flowpilot/flow-quality?period=P: the queries the endpoint ran per request,
-- ported from the application's SQLAlchemy code (flowpilot bench, strategy (d)).
-- Parameters %(account)s and %(start)s (now() - period in the application); one query
-- per statement, run in this order.

select id, name, tree_type from raw.trees where account_id = %(account)s
    and is_active and deleted_at is null;

select matched_flow_id, count(id), sum(case when status = 'resolved' then 1 else 0 end),
           sum(case when confidence_tier = 'guided' then 1 else 0 end), max(created_at)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and matched_flow_id in (select id from raw.trees where account_id = %(account)s
                              and is_active and deleted_at is null)
    group by matched_flow_id;

select matched_flow_id, max(created_at) from raw.ai_sessions
    where account_id = %(account)s
      and matched_flow_id in (select id from raw.trees where account_id = %(account)s
                              and is_active and deleted_at is null)
    group by matched_flow_id;
