-- GET /analytics/flowpilot?period=P (the dashboard): the queries the endpoint ran per request,
-- ported from the application's SQLAlchemy code (flowpilot bench, strategy (d)).
-- Parameters %(account)s and %(start)s (now() - period in the application); one query
-- per statement, run in this order.

select count(id), sum(case when status = 'resolved' then 1 else 0 end),
           sum(case when status in ('escalated', 'requesting_escalation') then 1 else 0 end),
           sum(case when status = 'abandoned' then 1 else 0 end),
           avg(case when status = 'resolved' then step_count end), avg(session_rating)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s;

select avg(extract(epoch from resolved_at - created_at) / 60) from raw.ai_sessions
    where account_id = %(account)s and created_at >= %(start)s and status = 'resolved'
      and resolved_at is not null;

select avg(extract(epoch from resolved_at - created_at) / 60) from raw.ai_sessions
    where account_id = %(account)s and created_at >= %(start)s and resolved_at is not null;

select resolved_at::date, avg(extract(epoch from resolved_at - created_at) / 60), count(id)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and status = 'resolved' and resolved_at is not null
    group by resolved_at::date order by resolved_at::date;

select problem_domain, count(id), sum(case when status = 'resolved' then 1 else 0 end),
           sum(case when status in ('escalated', 'requesting_escalation') then 1 else 0 end)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and problem_domain is not null group by problem_domain order by count(id) desc;

select confidence_tier, count(id), sum(case when status = 'resolved' then 1 else 0 end)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and status in ('resolved', 'escalated', 'requesting_escalation')
    group by confidence_tier;

select count(id) from raw.trees where account_id = %(account)s;

select count(id) from raw.trees where account_id = %(account)s
    and origin in ('ai_generated', 'ai_enhanced');

select count(id) from raw.flow_proposals where account_id = %(account)s
    and status = 'pending';

select count(id) from raw.flow_proposals where account_id = %(account)s
    and reviewed_at >= %(start)s and status in ('approved', 'modified');

select count(id) from raw.flow_proposals where account_id = %(account)s
    and reviewed_at >= %(start)s and status = 'rejected';

select problem_domain, count(id), sum(case when confidence_tier = 'guided' then 1 else 0 end)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and problem_domain is not null group by problem_domain;

select count(id) from raw.ai_sessions where account_id = %(account)s
    and created_at >= %(start)s and psa_ticket_id is not null;

select count(p.id), sum(case when p.status = 'success' then 1 else 0 end),
           sum(case when p.status = 'success' and p.retry_count > 0 then 1 else 0 end)
    from raw.psa_post_logs as p inner join raw.ai_sessions as s on p.ai_session_id = s.id
    where s.account_id = %(account)s and p.ai_session_id is not null
      and p.posted_at >= %(start)s;
