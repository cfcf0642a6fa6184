{#- The fact marts and the period marts come from the same rows: aggregated over each account's
    period windows (METRICS.md section 2), the facts give fct_session_metrics,
    fct_escalation_metrics and fct_psa_funnel, count for count and sum for sum; means and
    percentiles to 1e-9 relative (a mean of minutes is not bit-identical to a mean of seconds
    divided by 60). Returns one row per account, period and mart that differs. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

sessions as (
    select
        account_id,
        created_at,
        problem_domain,
        is_resolved,
        is_escalated,
        is_abandoned,
        is_unmapped,
        duration_minutes,
        resolution_minutes,
        resolved_step_count,
        session_rating,
        is_linked_to_ticket,
        is_cohort_doc_pushed,
        is_cohort_time_entry_logged
    from {{ ref('fct_sessions') }}
),

handoffs as (
    select
        account_id,
        created_at,
        claimed_at,
        has_first_action,
        seconds_to_first_action,
        is_unclaimed,
        unclaimed_age_seconds
    from {{ ref('fct_escalation_handoffs') }}
),

time_entries as (
    select
        account_id,
        session_id,
        created_at,
        hours_logged
    from {{ ref('fct_psa_time_entries') }}
),

pushes as (
    select
        account_id,
        session_id,
        posted_at,
        is_successful,
        is_retry_successful
    from {{ ref('fct_psa_pushes') }}
),

session_totals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(sessions.account_id) as total_sessions,
        count(*) filter (where sessions.is_resolved) as resolved_sessions,
        count(*) filter (where sessions.is_escalated) as escalated_sessions,
        count(*) filter (where sessions.is_abandoned) as abandoned_sessions,
        count(*) filter (where sessions.is_unmapped) as unmapped_sessions,
        count(*) filter (where sessions.is_linked_to_ticket) as linked_to_ticket,
        count(*) filter (where sessions.is_cohort_doc_pushed) as cohort_doc_pushed,
        count(*) filter (where sessions.is_cohort_time_entry_logged) as cohort_time_entry_logged,
        avg(sessions.resolved_step_count) as avg_steps_to_resolution,
        avg(sessions.duration_minutes) as avg_session_duration_minutes,
        avg(sessions.resolution_minutes) as mttr_minutes,
        avg(sessions.session_rating) as avg_rating
    from account_periods
    left join sessions
        on
            account_periods.account_id = sessions.account_id
            and {{ in_period_window('sessions.created_at') }}
    group by account_periods.account_id, account_periods.period
),

claimed_totals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(handoffs.account_id) as n_handoffs_claimed,
        count(*) filter (where handoffs.has_first_action) as n_handoffs_with_action,
        avg(handoffs.seconds_to_first_action) as avg_seconds_to_first_action,
        {{ median_value('handoffs.seconds_to_first_action') }} as median_seconds_to_first_action,
        {{ percentile_value('handoffs.seconds_to_first_action', '0.95') }}
            as p95_seconds_to_first_action
    from account_periods
    left join handoffs
        on
            account_periods.account_id = handoffs.account_id
            and {{ in_period_window('handoffs.claimed_at') }}
    group by account_periods.account_id, account_periods.period
),

unclaimed_totals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(handoffs.account_id) as n_handoffs_unclaimed,
        {{ percentile_value('handoffs.unclaimed_age_seconds', '0.95') }}
            as p95_seconds_unclaimed_age
    from account_periods
    left join handoffs
        on
            account_periods.account_id = handoffs.account_id
            and handoffs.is_unclaimed
            and {{ in_period_window('handoffs.created_at') }}
    group by account_periods.account_id, account_periods.period
),

time_entry_totals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(time_entries.account_id) as total_time_entries,
        coalesce(sum(time_entries.hours_logged), 0) as total_hours_logged,
        count(distinct time_entries.session_id) as time_entry_logged
    from account_periods
    left join time_entries
        on
            account_periods.account_id = time_entries.account_id
            and {{ in_period_window('time_entries.created_at') }}
    group by account_periods.account_id, account_periods.period
),

push_totals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(pushes.account_id) as total_pushes,
        count(*) filter (where pushes.is_successful) as successful_pushes,
        count(*) filter (where pushes.is_retry_successful) as retry_successful_pushes,
        count(distinct pushes.session_id) filter (where pushes.is_successful) as doc_pushed
    from account_periods
    left join pushes
        on
            account_periods.account_id = pushes.account_id
            and {{ in_period_window('pushes.posted_at') }}
    group by account_periods.account_id, account_periods.period
),

session_mismatches as (
    select
        session_metrics.account_id,
        session_metrics.period,
        'fct_session_metrics' as mart
    from {{ ref('fct_session_metrics') }} as session_metrics
    left join session_totals
        on
            session_metrics.account_id = session_totals.account_id
            and session_metrics.period = session_totals.period
    where
        {{ values_differ('session_metrics.total_sessions', 'session_totals.total_sessions') }}
        or {{ values_differ(
            'session_metrics.resolved_sessions', 'session_totals.resolved_sessions') }}
        or {{ values_differ(
            'session_metrics.escalated_sessions', 'session_totals.escalated_sessions') }}
        or {{ values_differ(
            'session_metrics.abandoned_sessions', 'session_totals.abandoned_sessions') }}
        or {{ values_differ(
            'session_metrics.unmapped_sessions', 'session_totals.unmapped_sessions') }}
        or {{ values_differ(
            'session_metrics.avg_steps_to_resolution',
            'session_totals.avg_steps_to_resolution', 1e-9) }}
        or {{ values_differ(
            'session_metrics.avg_session_duration_minutes',
            'session_totals.avg_session_duration_minutes', 1e-9) }}
        or {{ values_differ(
            'session_metrics.mttr_minutes', 'session_totals.mttr_minutes', 1e-9) }}
        or {{ values_differ(
            'session_metrics.avg_rating', 'session_totals.avg_rating', 1e-9) }}
),

escalation_mismatches as (
    select
        escalation_metrics.account_id,
        escalation_metrics.period,
        'fct_escalation_metrics' as mart
    from {{ ref('fct_escalation_metrics') }} as escalation_metrics
    left join claimed_totals
        on
            escalation_metrics.account_id = claimed_totals.account_id
            and escalation_metrics.period = claimed_totals.period
    left join unclaimed_totals
        on
            escalation_metrics.account_id = unclaimed_totals.account_id
            and escalation_metrics.period = unclaimed_totals.period
    where
        {{ values_differ(
            'escalation_metrics.n_handoffs_claimed', 'claimed_totals.n_handoffs_claimed') }}
        or {{ values_differ(
            'escalation_metrics.n_handoffs_with_action',
            'claimed_totals.n_handoffs_with_action') }}
        or {{ values_differ(
            'escalation_metrics.avg_seconds_to_first_action',
            'claimed_totals.avg_seconds_to_first_action', 1e-9) }}
        or {{ values_differ(
            'escalation_metrics.median_seconds_to_first_action',
            'claimed_totals.median_seconds_to_first_action', 1e-9) }}
        or {{ values_differ(
            'escalation_metrics.p95_seconds_to_first_action',
            'claimed_totals.p95_seconds_to_first_action') }}
        or {{ values_differ(
            'escalation_metrics.n_handoffs_unclaimed',
            'unclaimed_totals.n_handoffs_unclaimed') }}
        or {{ values_differ(
            'escalation_metrics.p95_seconds_unclaimed_age',
            'unclaimed_totals.p95_seconds_unclaimed_age') }}
),

psa_mismatches as (
    select
        psa_funnel.account_id,
        psa_funnel.period,
        'fct_psa_funnel' as mart
    from {{ ref('fct_psa_funnel') }} as psa_funnel
    left join session_totals
        on
            psa_funnel.account_id = session_totals.account_id
            and psa_funnel.period = session_totals.period
    left join time_entry_totals
        on
            psa_funnel.account_id = time_entry_totals.account_id
            and psa_funnel.period = time_entry_totals.period
    left join push_totals
        on
            psa_funnel.account_id = push_totals.account_id
            and psa_funnel.period = push_totals.period
    where
        {{ values_differ('psa_funnel.total_sessions', 'session_totals.total_sessions') }}
        or {{ values_differ('psa_funnel.linked_to_ticket', 'session_totals.linked_to_ticket') }}
        or {{ values_differ(
            'psa_funnel.cohort_doc_pushed', 'session_totals.cohort_doc_pushed') }}
        or {{ values_differ(
            'psa_funnel.cohort_time_entry_logged', 'session_totals.cohort_time_entry_logged') }}
        or {{ values_differ('psa_funnel.doc_pushed', 'push_totals.doc_pushed') }}
        or {{ values_differ('psa_funnel.total_pushes', 'push_totals.total_pushes') }}
        or {{ values_differ('psa_funnel.successful_pushes', 'push_totals.successful_pushes') }}
        or {{ values_differ(
            'psa_funnel.retry_successful_pushes', 'push_totals.retry_successful_pushes') }}
        or {{ values_differ(
            'psa_funnel.time_entry_logged', 'time_entry_totals.time_entry_logged') }}
        or {{ values_differ(
            'psa_funnel.total_time_entries', 'time_entry_totals.total_time_entries') }}
        or {{ values_differ(
            'psa_funnel.total_hours_logged', 'time_entry_totals.total_hours_logged') }}
),

final as (
    select * from session_mismatches
    union all
    select * from escalation_mismatches
    union all
    select * from psa_mismatches
)

select * from final
