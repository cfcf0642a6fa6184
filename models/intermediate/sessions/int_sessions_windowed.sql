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
        {{ local_date('sessions.resolved_at', 'account_periods.timezone') }} as resolved_date,
        {{ duration_seconds('sessions.created_at', 'sessions.resolved_at') }} as duration_seconds,
        {{ is_resolved_status('sessions.status') }} as is_resolved,
        {{ is_escalated_status('sessions.status') }} as is_escalated,
        {{ is_abandoned_status('sessions.status') }} as is_abandoned,
        {{ is_guided_tier('sessions.confidence_tier') }} as is_guided
    from sessions
    inner join account_periods
        on
            sessions.account_id = account_periods.account_id
            and {{ in_period_window('sessions.created_at') }}
)

select * from final
