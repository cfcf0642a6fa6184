{#- One row per session that, as of as_of, has at least one successful push or at least one
    time entry, whenever it was posted and whatever the entry's account_id: the session-level
    facts of the cohort funnel (METRICS.md section 4, cohort columns follow session_id). -#}
with

pushes as (
    select
        session_id,
        status
    from {{ ref('int_psa_pushes_as_of') }}
),

activities as (
    select
        session_id,
        activity_type
    from {{ ref('int_psa_activities_as_of') }}
),

sessions_with_successful_push as (
    select distinct session_id
    from pushes
    where
        status = 'success'
        and session_id is not null
),

sessions_with_time_entry as (
    select distinct session_id
    from activities
    where
        activity_type = 'time_entry_posted'
        and session_id is not null
),

final as (
    select
        coalesce(
            sessions_with_successful_push.session_id,
            sessions_with_time_entry.session_id
        ) as session_id,
        sessions_with_successful_push.session_id is not null as has_successful_push,
        sessions_with_time_entry.session_id is not null as has_time_entry
    from sessions_with_successful_push
    full outer join sessions_with_time_entry
        on sessions_with_successful_push.session_id = sessions_with_time_entry.session_id
)

select * from final
