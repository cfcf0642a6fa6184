{#- One row per session and period whose window holds the session's created_at: the sessions of
    the fact mart fct_sessions (as of as_of, flags, durations and local days already applied),
    so that the period marts and the facts aggregate the same rows; the one scan of them that
    every session-anchored mart reads (DECISIONLOG 22). -#}
with

sessions as (
    select
        session_id,
        account_id,
        problem_domain,
        confidence_tier,
        matched_flow_id,
        is_linked_to_ticket,
        step_count,
        session_rating,
        created_at,
        resolved_at,
        resolved_date,
        duration_seconds,
        is_resolved,
        is_escalated,
        is_abandoned,
        is_guided,
        is_cohort_doc_pushed,
        is_cohort_time_entry_logged
    from {{ ref('fct_sessions') }}
),

account_periods as (
    select
        account_id,
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
        sessions.problem_domain,
        sessions.confidence_tier,
        sessions.matched_flow_id,
        sessions.is_linked_to_ticket,
        sessions.step_count,
        sessions.session_rating,
        sessions.created_at,
        sessions.resolved_at,
        sessions.resolved_date,
        sessions.duration_seconds,
        sessions.is_resolved,
        sessions.is_escalated,
        sessions.is_abandoned,
        sessions.is_guided,
        sessions.is_cohort_doc_pushed,
        sessions.is_cohort_time_entry_logged
    from sessions
    inner join account_periods
        on
            sessions.account_id = account_periods.account_id
            and {{ in_period_window('sessions.created_at') }}
)

select * from final
