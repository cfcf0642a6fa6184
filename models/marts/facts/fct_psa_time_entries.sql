{#- One row per PSA time entry (activity time_entry_posted) as of as_of, under the entry's own
    account_id (METRICS.md section 4, attribution), with its hours (null counts as 0, staging)
    and the day of created_at in that account's time zone. -#}
with

activities as (
    select
        activity_id,
        account_id,
        session_id,
        activity_type,
        hours_logged,
        created_at
    from {{ ref('int_psa_activities_as_of') }}
),

accounts as (
    select
        account_id,
        timezone
    from {{ ref('int_accounts_unioned') }}
),

final as (
    select
        activities.activity_id,
        activities.account_id,
        activities.session_id,
        activities.created_at,
        {{ local_date('activities.created_at', 'accounts.timezone') }} as entry_date,
        activities.hours_logged
    from activities
    inner join accounts
        on activities.account_id = accounts.account_id
    where {{ is_time_entry('activities.activity_type') }}
)

select * from final
