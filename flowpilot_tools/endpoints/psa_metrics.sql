-- GET /analytics/flowpilot/psa-metrics?period=P: the queries the endpoint ran per request,
-- ported from the application's SQLAlchemy code (flowpilot bench, strategy (d)).
-- Parameters %(account)s and %(start)s (now() - period in the application); one query
-- per statement, run in this order.

select count(id), sum(hours_logged) from raw.psa_activity_logs
    where account_id = %(account)s and activity_type = 'time_entry_posted'
      and created_at >= %(start)s;

select count(id) from raw.ai_sessions where account_id = %(account)s
    and created_at >= %(start)s;

select count(id) from raw.ai_sessions where account_id = %(account)s
    and created_at >= %(start)s and psa_ticket_id is not null;

select count(distinct p.ai_session_id) from raw.psa_post_logs as p
    inner join raw.ai_sessions as s on p.ai_session_id = s.id
    where s.account_id = %(account)s and p.ai_session_id is not null
      and p.status = 'success' and p.posted_at >= %(start)s;

select count(distinct session_id) from raw.psa_activity_logs
    where account_id = %(account)s and activity_type = 'time_entry_posted'
      and created_at >= %(start)s and session_id is not null;

select created_at::date, count(id), sum(hours_logged) from raw.psa_activity_logs
    where account_id = %(account)s and activity_type = 'time_entry_posted'
      and created_at >= %(start)s group by created_at::date order by created_at::date;
