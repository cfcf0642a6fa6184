{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'session_date'],
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['account_id', 'session_date']}],
        post_hook="delete from {{ this }} where session_count = 0",
    )
}}

{#- Partial aggregates of the session measures per account and UTC day of created_at, for each
    key of the marts (macro session_measure_grouping_sets), from every session landed - the
    state of the latest data, independent of as_of: int_sessions_windowed adds the days that
    lie wholly inside a window and corrects the sessions whose state as of as_of differs.
    Incremental runs recompute whole days: the days of the sessions that landed (every version
    each of them had: a replayed session may have left a day), of the sessions whose pushes or
    time entries landed, and every day of an account whose time zone changed. A day left empty
    keeps no row (post-hook). -#}

-- depends_on: {{ ref('stg_flowpilot__ai_session_versions') }}
-- depends_on: {{ ref('stg_flowpilot__psa_post_log_versions') }}
-- depends_on: {{ ref('stg_flowpilot__psa_activity_log_versions') }}

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
        resolved_at,
        _loaded_at
    from {{ ref('stg_flowpilot__ai_sessions') }}
),

accounts as (
    select
        account_id,
        timezone
    from {{ ref('stg_flowpilot__accounts') }}
),

pushes as (
    select
        session_id,
        status,
        posted_at,
        _loaded_at
    from {{ ref('stg_flowpilot__psa_post_logs') }}
),

activities as (
    select
        session_id,
        activity_type,
        created_at,
        _loaded_at
    from {{ ref('stg_flowpilot__psa_activity_logs') }}
),

-- The newest row of each input this run reads through (recorded with every row written).
loaded_through as (
    select
        array[
            (select max(sessions._loaded_at) from sessions),
            (select max(pushes._loaded_at) from pushes),
            (select max(activities._loaded_at) from activities)
        ] as loaded_through
),

-- Sessions that landed, and the sessions named by any version of a push or activity that
-- landed, since the last run less the lookback (none in a full refresh, which reads all).
touched_sessions as (
    select session_id
    from sessions
    where {{ landed_since_last_aggregation('_loaded_at', 1) }}
    union
    select push_versions.session_id
    from {{ ref('stg_flowpilot__psa_post_log_versions') }} as push_versions
    where push_versions.push_id in (
        select landed.push_id
        from {{ ref('stg_flowpilot__psa_post_log_versions') }} as landed
        where {{ landed_since_last_aggregation('landed._loaded_at', 2) }}
    )
    union
    select activity_versions.session_id
    from {{ ref('stg_flowpilot__psa_activity_log_versions') }} as activity_versions
    where activity_versions.activity_id in (
        select landed.activity_id
        from {{ ref('stg_flowpilot__psa_activity_log_versions') }} as landed
        where {{ landed_since_last_aggregation('landed._loaded_at', 3) }}
    )
),

-- The time zone each account's days were aggregated with (none in a full refresh).
stored_time_zones as (
    {% if is_incremental() -%}
        select distinct
            account_id,
            timezone
        from {{ this }}
        where grouping_set = 'account'
    {%- else -%}
        select
            account_id,
            timezone
        from accounts
        where false
    {%- endif %}
),

-- Accounts whose time zone differs from the one their days were aggregated with.
retimed_accounts as (
    select stored_time_zones.account_id
    from stored_time_zones
    left join accounts
        on stored_time_zones.account_id = accounts.account_id
    where stored_time_zones.timezone <> coalesce(accounts.timezone, 'UTC')
),

-- Every day any version of a touched session was in, and every day of a retimed account.
days_to_compute as (
    select distinct
        session_versions.account_id,
        (session_versions.created_at at time zone 'UTC')::date as session_date
    from {{ ref('stg_flowpilot__ai_session_versions') }} as session_versions
    where session_versions.session_id in (
        select touched_sessions.session_id from touched_sessions
    )
    union
    select distinct
        sessions.account_id,
        (sessions.created_at at time zone 'UTC')::date as session_date
    from sessions
    where sessions.account_id in (select retimed_accounts.account_id from retimed_accounts)
),

-- In a full refresh every session; else the sessions of the days to compute.
sessions_to_aggregate as (
    select sessions.*
    from sessions
    where
        {% if is_incremental() -%}
            (sessions.account_id, (sessions.created_at at time zone 'UTC')::date) in (
                select
                    days_to_compute.account_id,
                    days_to_compute.session_date
                from days_to_compute
            )
        {%- else -%}
            true
        {%- endif %}
),

first_successful_pushes as (
    select
        session_id,
        min(posted_at) as first_successful_push_at
    from pushes
    where
        status = 'success'
        and session_id in (select sessions_to_aggregate.session_id from sessions_to_aggregate)
    group by session_id
),

first_time_entries as (
    select
        session_id,
        min(created_at) as first_time_entry_at
    from activities
    where
        activity_type = 'time_entry_posted'
        and session_id in (select sessions_to_aggregate.session_id from sessions_to_aggregate)
    group by session_id
),

session_states as (
    select
        sessions_to_aggregate.account_id,
        coalesce(accounts.timezone, 'UTC') as timezone,
        sessions_to_aggregate.status,
        sessions_to_aggregate.problem_domain,
        sessions_to_aggregate.confidence_tier,
        sessions_to_aggregate.matched_flow_id,
        sessions_to_aggregate.is_linked_to_ticket,
        sessions_to_aggregate.step_count,
        sessions_to_aggregate.session_rating,
        sessions_to_aggregate.created_at,
        sessions_to_aggregate.resolved_at,
        first_successful_pushes.first_successful_push_at,
        first_time_entries.first_time_entry_at
    from sessions_to_aggregate
    left join accounts
        on sessions_to_aggregate.account_id = accounts.account_id
    left join first_successful_pushes
        on sessions_to_aggregate.session_id = first_successful_pushes.session_id
    left join first_time_entries
        on sessions_to_aggregate.session_id = first_time_entries.session_id
),

session_measures as (
    select
        account_id,
        timezone,
        (created_at at time zone 'UTC')::date as session_date,
        1 as sign,
        {{ session_measure_columns('timezone') }}
    from session_states
),

grouped as (
    select
        account_id,
        session_date,
        timezone,
        {{ session_measure_grouping_set() }} as grouping_set,
        confidence_tier,
        problem_domain,
        matched_flow_id,
        resolved_date,
        {{ session_measure_aggregates() }}
    from session_measures
    group by {{ session_measure_grouping_sets('account_id, session_date, timezone') }}
),

-- A day to compute that no session is in any more: a row of zeros replaces its old rows (and
-- the post-hook deletes it).
emptied_days as (
    select
        days_to_compute.account_id,
        days_to_compute.session_date
    from days_to_compute
    where not exists (
        select
        from grouped
        where
            grouped.account_id = days_to_compute.account_id
            and grouped.session_date = days_to_compute.session_date
    )
),

final as (
    select
        grouped.*,
        loaded_through.loaded_through
    from grouped
    cross join loaded_through
    where
        grouped.grouping_set = 'account'
        or coalesce(
            grouped.confidence_tier,
            grouped.problem_domain,
            grouped.matched_flow_id::text,
            grouped.resolved_date::text
        ) is not null
    union all
    select
        emptied_days.account_id,
        emptied_days.session_date,
        'UTC' as timezone,
        'account' as grouping_set,
        null as confidence_tier,
        null as problem_domain,
        null::uuid as matched_flow_id,
        null::date as resolved_date,
        0 as session_count,
        0 as resolved_count,
        0 as escalated_count,
        0 as abandoned_count,
        0 as guided_count,
        0 as unmapped_count,
        0 as linked_count,
        0 as doc_pushed_count,
        0 as time_entry_logged_count,
        0 as resolved_step_sum,
        0 as resolved_step_n,
        0 as duration_sum,
        0 as duration_n,
        0 as resolved_duration_sum,
        0 as resolved_duration_n,
        0 as rating_sum,
        0 as rating_n,
        null::timestamptz as last_created_at,
        loaded_through.loaded_through
    from emptied_days
    cross join loaded_through
)

select * from final
