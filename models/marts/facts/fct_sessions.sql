{#- One row per session as of as_of (METRICS.md sections 2 and 4), with the cleaning and as-of
    rules applied and the flags, durations and local days that every session metric counts or
    averages: the event grain under the semantic layer (models/semantic) and under the period
    marts (int_sessions_windowed joins these rows to the windows, DECISIONLOG 22). -#}
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

accounts as (
    select
        account_id,
        timezone
    from {{ ref('int_accounts_unioned') }}
),

session_outcomes as (
    select
        session_id,
        has_successful_push,
        has_time_entry
    from {{ ref('int_psa_session_outcomes_aggregated') }}
),

classified as (
    select
        sessions.session_id,
        sessions.account_id,
        sessions.created_at,
        {{ local_date('sessions.created_at', 'accounts.timezone') }} as created_date,
        sessions.problem_domain,
        sessions.confidence_tier,
        sessions.status,
        {{ is_resolved_status('sessions.status') }} as is_resolved,
        {{ is_escalated_status('sessions.status') }} as is_escalated,
        {{ is_abandoned_status('sessions.status') }} as is_abandoned,
        {{ is_guided_tier('sessions.confidence_tier') }} as is_guided,
        sessions.resolved_at,
        {{ local_date('sessions.resolved_at', 'accounts.timezone') }} as resolved_date,
        {{ duration_seconds('sessions.created_at', 'sessions.resolved_at') }} as duration_seconds,
        sessions.step_count,
        sessions.session_rating,
        sessions.is_linked_to_ticket,
        sessions.matched_flow_id,
        coalesce(session_outcomes.has_successful_push, false) as has_successful_push,
        coalesce(session_outcomes.has_time_entry, false) as has_time_entry
    from sessions
    inner join accounts
        on sessions.account_id = accounts.account_id
    left join session_outcomes
        on sessions.session_id = session_outcomes.session_id
),

final as (
    select
        session_id,
        account_id,
        created_at,
        created_date,
        problem_domain,
        confidence_tier,
        status,
        is_resolved,
        is_escalated,
        is_abandoned,
        is_guided,
        problem_domain is null as is_unmapped,
        resolved_at,
        resolved_date,
        duration_seconds,
        duration_seconds / 60 as duration_minutes,
        case when is_resolved then duration_seconds / 60 end as resolution_minutes,
        step_count,
        case when is_resolved then step_count end as resolved_step_count,
        session_rating,
        is_linked_to_ticket,
        is_linked_to_ticket and has_successful_push as is_cohort_doc_pushed,
        is_linked_to_ticket and has_successful_push and has_time_entry
            as is_cohort_time_entry_logged,
        matched_flow_id
    from classified
)

select * from final
