-- GET /analytics/flowpilot/escalations?period=P: the queries the endpoint ran per request,
-- ported from the application's SQLAlchemy code (flowpilot bench, strategy (d)).
-- Parameters %(account)s and %(start)s (now() - period in the application); one query
-- per statement, run in this order.

select h.claimed_at,
           (select min(st.created_at) from raw.ai_session_steps as st
            where st.session_id = h.session_id and st.created_at > h.claimed_at)
    from raw.session_handoffs as h
    where h.account_id = %(account)s and h.claimed_at is not null
      and h.claimed_at >= %(start)s;
