{#- One row per account and period (METRICS.md section 4, fct_psa_funnel): the endpoint's
    activity counts, time-entry totals, push success rates from their own denominators, and the
    cohort funnel total_sessions >= linked_to_ticket >= cohort_doc_pushed
    >= cohort_time_entry_logged. -#}
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
        is_linked_to_ticket,
        is_cohort_doc_pushed,
        is_cohort_time_entry_logged
    from {{ ref('int_sessions_windowed') }}
),

push_periods as (
    select
        account_id,
        period,
        session_id,
        is_successful,
        is_retry_successful
    from {{ ref('int_psa_pushes_windowed') }}
),

time_entry_periods as (
    select
        account_id,
        period,
        session_id,
        hours_logged
    from {{ ref('int_psa_time_entries_windowed') }}
),

sessions_summary as (
    select
        account_id,
        period,
        count(*) as total_sessions,
        count(*) filter (where is_linked_to_ticket) as linked_to_ticket,
        count(*) filter (where is_cohort_doc_pushed) as cohort_doc_pushed,
        count(*) filter (where is_cohort_time_entry_logged) as cohort_time_entry_logged
    from session_periods
    group by account_id, period
),

pushes_summary as (
    select
        account_id,
        period,
        count(distinct session_id) filter (where is_successful) as doc_pushed,
        count(*) as total_pushes,
        count(*) filter (where is_successful) as successful_pushes,
        count(*) filter (where is_retry_successful) as retry_successful_pushes
    from push_periods
    group by account_id, period
),

time_entries_summary as (
    select
        account_id,
        period,
        count(distinct session_id) as time_entry_logged,
        count(*) as total_time_entries,
        sum(hours_logged) as total_hours_logged
    from time_entry_periods
    group by account_id, period
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        coalesce(sessions_summary.total_sessions, 0) as total_sessions,
        coalesce(sessions_summary.linked_to_ticket, 0) as linked_to_ticket,
        coalesce(pushes_summary.doc_pushed, 0) as doc_pushed,
        coalesce(time_entries_summary.time_entry_logged, 0) as time_entry_logged,
        coalesce(sessions_summary.cohort_doc_pushed, 0) as cohort_doc_pushed,
        coalesce(sessions_summary.cohort_time_entry_logged, 0) as cohort_time_entry_logged,
        coalesce(time_entries_summary.total_time_entries, 0) as total_time_entries,
        coalesce(time_entries_summary.total_hours_logged, 0) as total_hours_logged,
        {{ rate(
            'time_entries_summary.total_hours_logged',
            'time_entries_summary.total_time_entries',
        ) }} as avg_hours_per_time_entry,
        {{ rate('sessions_summary.linked_to_ticket', 'sessions_summary.total_sessions') }}
            as ticket_link_rate,
        coalesce(pushes_summary.total_pushes, 0) as total_pushes,
        coalesce(pushes_summary.successful_pushes, 0) as successful_pushes,
        coalesce(pushes_summary.retry_successful_pushes, 0) as retry_successful_pushes,
        {{ rate('pushes_summary.successful_pushes', 'pushes_summary.total_pushes') }}
            as auto_push_success_rate,
        {{ rate('pushes_summary.retry_successful_pushes', 'pushes_summary.total_pushes') }}
            as auto_push_retry_success_rate
    from account_periods
    left join sessions_summary
        on
            account_periods.account_id = sessions_summary.account_id
            and account_periods.period = sessions_summary.period
    left join pushes_summary
        on
            account_periods.account_id = pushes_summary.account_id
            and account_periods.period = pushes_summary.period
    left join time_entries_summary
        on
            account_periods.account_id = time_entries_summary.account_id
            and account_periods.period = time_entries_summary.period
)

select * from final
