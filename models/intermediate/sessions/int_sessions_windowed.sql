{#- The session measures of every account and period (7d, 30d, 90d) as of as_of, for each key
    of the marts (macro session_measure_grouping_sets): the sums and counts that every
    session-anchored mart (session metrics, MTTR trend, domain coverage, confidence, flow
    quality, the sessions of the PSA funnel) reads. Combined from
    - the day aggregates (int_session_days_aggregated) of the UTC days that lie wholly inside the
      window: every session created on them exists as of as_of;
    - less what those aggregates hold for the sessions whose state as of as_of differs from
      the latest (resolved, first pushed or first time-entered after as_of), read exactly;
    - plus, read exactly as of as_of from the sessions: those late sessions, the sessions of
      the window's partial first and last day, and every session of an account whose time zone
      as of as_of is not the one its days were aggregated with (created after as_of).
    Sums are numeric and exact, so the combination gives what one pass over the window's
    sessions would give (DECISIONLOG 19). -#}
with

account_periods as (
    select
        account_id,
        timezone,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

-- Each window and the UTC days that lie wholly inside it: first_inner_date up to (not
-- including) after_inner_date.
windows as (
    select distinct
        period,
        period_start,
        as_of,
        ((period_start - interval '1 microsecond') at time zone 'UTC')::date + 1
            as first_inner_date,
        (as_of at time zone 'UTC')::date as after_inner_date
    from account_periods
),

day_aggregates as (
    select
        account_id,
        session_date,
        grouping_set,
        confidence_tier,
        problem_domain,
        matched_flow_id,
        resolved_date,
        session_count,
        resolved_count,
        escalated_count,
        abandoned_count,
        guided_count,
        unmapped_count,
        linked_count,
        doc_pushed_count,
        time_entry_logged_count,
        resolved_step_sum,
        resolved_step_n,
        duration_sum,
        duration_n,
        resolved_duration_sum,
        resolved_duration_n,
        rating_sum,
        rating_n,
        last_created_at
    from {{ ref('int_session_days_aggregated') }}
),

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
    from {{ ref('stg_flowpilot__ai_sessions') }}
),

accounts as (
    select
        account_id,
        timezone,
        created_at
    from {{ ref('stg_flowpilot__accounts') }}
),

pushes as (
    select
        session_id,
        status,
        posted_at
    from {{ ref('stg_flowpilot__psa_post_logs') }}
),

activities as (
    select
        session_id,
        activity_type,
        created_at
    from {{ ref('stg_flowpilot__psa_activity_logs') }}
),

-- Accounts that do not exist as of as_of (so UTC) but whose days used their own time zone.
retimed_accounts as (
    select account_id
    from accounts
    where
        not coalesce({{ existed_at_as_of('created_at') }}, false)
        and timezone <> 'UTC'
),

-- Sessions whose state as of as_of differs from the latest: an event after as_of.
late_sessions as (
    select session_id
    from sessions
    where resolved_at > {{ as_of() }}
    union
    select session_id
    from pushes
    where
        posted_at > {{ as_of() }}
        and status = 'success'
        and session_id is not null
    union
    select session_id
    from activities
    where
        created_at > {{ as_of() }}
        and activity_type = 'time_entry_posted'
        and session_id is not null
),

edge_dates as (
    select first_inner_date - 1 as session_date
    from windows
    union
    select after_inner_date as session_date
    from windows
),

-- The sessions read exactly, in each window that holds them.
candidate_sessions as (
    select
        sessions.*,
        account_periods.period,
        account_periods.timezone,
        sessions.session_id in (select late_sessions.session_id from late_sessions) as is_late,
        (sessions.created_at at time zone 'UTC')::date >= windows.first_inner_date
        and (sessions.created_at at time zone 'UTC')::date < windows.after_inner_date
        and sessions.account_id not in (
            select retimed_accounts.account_id from retimed_accounts
        ) as is_in_day_aggregates
    from sessions
    inner join account_periods
        on
            sessions.account_id = account_periods.account_id
            and sessions.created_at >= account_periods.period_start
            and sessions.created_at <= account_periods.as_of
    inner join windows
        on account_periods.period = windows.period
    where
        (sessions.created_at at time zone 'UTC')::date in (
            select edge_dates.session_date from edge_dates
        )
        or sessions.session_id in (select late_sessions.session_id from late_sessions)
        or sessions.account_id in (select retimed_accounts.account_id from retimed_accounts)
),

first_successful_pushes as (
    select
        session_id,
        min(posted_at) as first_successful_push_at
    from pushes
    where
        status = 'success'
        and session_id in (select candidate_sessions.session_id from candidate_sessions)
    group by session_id
),

first_time_entries as (
    select
        session_id,
        min(created_at) as first_time_entry_at
    from activities
    where
        activity_type = 'time_entry_posted'
        and session_id in (select candidate_sessions.session_id from candidate_sessions)
    group by session_id
),

candidate_states as (
    select
        candidate_sessions.*,
        first_successful_pushes.first_successful_push_at,
        first_time_entries.first_time_entry_at
    from candidate_sessions
    left join first_successful_pushes
        on candidate_sessions.session_id = first_successful_pushes.session_id
    left join first_time_entries
        on candidate_sessions.session_id = first_time_entries.session_id
),

-- +1: the session as of as_of, where the day aggregates do not hold it or hold a later state;
-- -1: the later state the day aggregates hold.
signed_states as (
    select
        account_id,
        period,
        timezone,
        1 as sign,
        status,
        problem_domain,
        confidence_tier,
        matched_flow_id,
        is_linked_to_ticket,
        step_count,
        session_rating,
        created_at,
        {{ happened_by_as_of('resolved_at') }} as resolved_at,
        {{ happened_by_as_of('first_successful_push_at') }} as first_successful_push_at,
        {{ happened_by_as_of('first_time_entry_at') }} as first_time_entry_at
    from candidate_states
    where not is_in_day_aggregates or is_late
    union all
    select
        account_id,
        period,
        timezone,
        -1 as sign,
        status,
        problem_domain,
        confidence_tier,
        matched_flow_id,
        is_linked_to_ticket,
        step_count,
        session_rating,
        created_at,
        resolved_at,
        first_successful_push_at,
        first_time_entry_at
    from candidate_states
    where is_in_day_aggregates and is_late
),

signed_measures as (
    select
        account_id,
        period,
        sign,
        {{ session_measure_columns('timezone') }}
    from signed_states
),

exact_parts as (
    select
        account_id,
        period,
        {{ session_measure_grouping_set() }} as grouping_set,
        confidence_tier,
        problem_domain,
        matched_flow_id,
        resolved_date,
        {{ session_measure_aggregates() }}
    from signed_measures
    group by {{ session_measure_grouping_sets('account_id, period') }}
),

day_parts as (
    select
        day_aggregates.account_id,
        windows.period,
        day_aggregates.grouping_set,
        day_aggregates.confidence_tier,
        day_aggregates.problem_domain,
        day_aggregates.matched_flow_id,
        day_aggregates.resolved_date,
        day_aggregates.session_count,
        day_aggregates.resolved_count,
        day_aggregates.escalated_count,
        day_aggregates.abandoned_count,
        day_aggregates.guided_count,
        day_aggregates.unmapped_count,
        day_aggregates.linked_count,
        day_aggregates.doc_pushed_count,
        day_aggregates.time_entry_logged_count,
        day_aggregates.resolved_step_sum,
        day_aggregates.resolved_step_n,
        day_aggregates.duration_sum,
        day_aggregates.duration_n,
        day_aggregates.resolved_duration_sum,
        day_aggregates.resolved_duration_n,
        day_aggregates.rating_sum,
        day_aggregates.rating_n,
        day_aggregates.last_created_at
    from day_aggregates
    inner join windows
        on
            day_aggregates.session_date >= windows.first_inner_date
            and day_aggregates.session_date < windows.after_inner_date
    where
        day_aggregates.account_id not in (
            select retimed_accounts.account_id from retimed_accounts
        )
),

parts as (
    select * from day_parts
    union all
    select * from exact_parts
    where
        grouping_set = 'account'
        or coalesce(
            confidence_tier, problem_domain, matched_flow_id::text, resolved_date::text
        ) is not null
),

final as (
    select
        account_id,
        period,
        grouping_set,
        confidence_tier,
        problem_domain,
        matched_flow_id,
        resolved_date,
        {{ session_measure_sums() }}
    from parts
    group by
        account_id, period, grouping_set, confidence_tier, problem_domain, matched_flow_id,
        resolved_date
    having sum(session_count) > 0
)

select * from final
