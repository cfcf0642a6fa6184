-- GET /analytics/flowpilot/coverage?period=P: the queries the endpoint ran per request,
-- ported from the application's SQLAlchemy code (flowpilot bench, strategy (d)).
-- Parameters %(account)s and %(start)s (now() - period in the application); one query
-- per statement, run in this order.

select problem_domain, count(id), sum(case when status = 'resolved' then 1 else 0 end),
           sum(case when status in ('escalated', 'requesting_escalation') then 1 else 0 end),
           sum(case when confidence_tier = 'guided' then 1 else 0 end),
           avg(case when status = 'resolved' and resolved_at is not null
                    then extract(epoch from resolved_at - created_at) / 60 end)
    from raw.ai_sessions where account_id = %(account)s and created_at >= %(start)s
      and problem_domain is not null group by problem_domain order by count(id) desc;

select count(id) from raw.ai_sessions where account_id = %(account)s
    and created_at >= %(start)s and problem_domain is null;

select lower(c.name), count(t.id) from raw.tree_categories as c
    inner join raw.trees as t on t.category_id = c.id
    where t.account_id = %(account)s and t.is_active and t.deleted_at is null
    group by lower(c.name);
