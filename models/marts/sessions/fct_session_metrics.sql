{#- One row per account and period: the session counts, rates and averages of the
    dashboard (METRICS.md section 4, fct_session_metrics), from the window's sums and counts
    (int_sessions_windowed): means are exact sums over exact counts. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

session_totals as (
    select
        account_id,
        period,
        session_count as total_sessions,
        resolved_count as resolved_sessions,
        escalated_count as escalated_sessions,
        abandoned_count as abandoned_sessions,
        {{ mean_of_sums('resolved_step_sum', 'resolved_step_n') }} as avg_steps_to_resolution,
        {{ mean_of_sums('duration_sum', 'duration_n') }} / 60 as avg_session_duration_minutes,
        {{ mean_of_sums('resolved_duration_sum', 'resolved_duration_n') }} / 60 as mttr_minutes,
        {{ mean_of_sums('rating_sum', 'rating_n') }} as avg_rating,
        unmapped_count as unmapped_sessions
    from {{ ref('int_sessions_windowed') }}
    where grouping_set = 'account'
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
