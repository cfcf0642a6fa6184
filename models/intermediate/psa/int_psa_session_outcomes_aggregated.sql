{{ config(materialized='view') }}
{#- One row per session that, as of as_of, has at least one successful push or at least one
    time entry, whenever it was posted and whatever the entry's account_id: the session-level
    facts of the cohort funnel (METRICS.md section 4, cohort columns follow session_id). A view,
    read once: fct_sessions turns it into the cohort flags that the PSA funnel counts. One
    grouping of both event lists (not a full join of two distinct sets: 0.9 s less at the
    reference scale, DECISIONLOG 22). -#}
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

session_outcomes as (
    select
        session_id,
        true as is_successful_push,
        false as is_time_entry
    from pushes
    where
        {{ is_successful_push('status') }}
        and session_id is not null

    union all

    select
        session_id,
        false as is_successful_push,
        true as is_time_entry
    from activities
    where
        {{ is_time_entry('activity_type') }}
        and session_id is not null
),

final as (
    select
        session_id,
        bool_or(is_successful_push) as has_successful_push,
        bool_or(is_time_entry) as has_time_entry
    from session_outcomes
    group by session_id
)

select * from final
