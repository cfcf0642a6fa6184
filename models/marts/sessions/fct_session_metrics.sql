{#- One row per account and period: the session counts, rates and averages of the
    dashboard (METRICS.md section 4, fct_session_metrics). -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

session_periods as (
    select
        account_id,
        period,
        problem_domain,
        step_count,
        session_rating,
        duration_seconds,
        is_resolved,
        is_escalated,
        is_abandoned
    from {{ ref('int_sessions_windowed') }}
),

session_totals as (
    select
        account_id,
        period,
        count(*) as total_sessions,
        count(*) filter (where is_resolved) as resolved_sessions,
        count(*) filter (where is_escalated) as escalated_sessions,
        count(*) filter (where is_abandoned) as abandoned_sessions,
        {{ exact_mean('step_count', where='is_resolved') }} as avg_steps_to_resolution,
        {{ exact_mean('duration_seconds') }} / 60 as avg_session_duration_minutes,
        {{ exact_mean('duration_seconds', where='is_resolved') }} / 60 as mttr_minutes,
        {{ exact_mean('session_rating') }} as avg_rating,
        count(*) filter (where problem_domain is null) as unmapped_sessions
    from session_periods
    group by account_id, period
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        coalesce(session_totals.total_sessions, 0) as total_sessions,
        coalesce(session_totals.resolved_sessions, 0) as resolved_sessions,
        coalesce(session_totals.escalated_sessions, 0) as escalated_sessions,
        coalesce(session_totals.abandoned_sessions, 0) as abandoned_sessions,
        {{ rate('session_totals.resolved_sessions', 'session_totals.total_sessions') }}
            as resolution_rate,
        session_totals.avg_steps_to_resolution,
        session_totals.avg_session_duration_minutes,
        session_totals.mttr_minutes,
        session_totals.avg_rating,
        coalesce(session_totals.unmapped_sessions, 0) as unmapped_sessions
    from account_periods
    left join session_totals
        on
            account_periods.account_id = session_totals.account_id
            and account_periods.period = session_totals.period
)

select * from final
