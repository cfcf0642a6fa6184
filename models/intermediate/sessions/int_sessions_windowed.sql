{#- One row per session and period whose window holds the session's created_at: the single
    scan of the sessions that every session-anchored mart aggregates from. -#}
with

sessions as (
    select
        session_id,
        account_id,
        status,
        problem_domain,
        confidence_tier,
        matched_flow_id,
        is_linked_to_ticket,
        step_count,
        session_rating,
        created_at,
        resolved_at
    from {{ ref('int_sessions_as_of') }}
),

account_periods as (
    select
        account_id,
        timezone,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        sessions.session_id,
        sessions.status,
        sessions.problem_domain,
        sessions.confidence_tier,
        sessions.matched_flow_id,
        sessions.is_linked_to_ticket,
        sessions.step_count,
        sessions.session_rating,
        sessions.created_at,
        sessions.resolved_at,
        (sessions.resolved_at at time zone account_periods.timezone)::date as resolved_date,
        {{ duration_seconds('sessions.created_at', 'sessions.resolved_at') }} as duration_seconds,
        coalesce(sessions.status = 'resolved', false) as is_resolved,
        coalesce(sessions.status in ('escalated', 'requesting_escalation'), false) as is_escalated,
        coalesce(sessions.status = 'abandoned', false) as is_abandoned,
        coalesce(sessions.confidence_tier = 'guided', false) as is_guided
    from sessions
    inner join account_periods
        on
            sessions.account_id = account_periods.account_id
            and sessions.created_at >= account_periods.period_start
            and sessions.created_at <= account_periods.as_of
)

select * from final
