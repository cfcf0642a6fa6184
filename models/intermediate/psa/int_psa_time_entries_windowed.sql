{#- One row per time entry (activity time_entry_posted) and period whose window holds its
    created_at, under the entry's own account_id (METRICS.md section 4), with the day of
    created_at in that account's time zone. Both PSA marts aggregate from it. -#}
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

account_periods as (
    select
        account_id,
        timezone,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

time_entries as (
    select
        activity_id,
        account_id,
        session_id,
        hours_logged,
        created_at
    from activities
    where {{ is_time_entry('activity_type') }}
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        time_entries.activity_id,
        time_entries.session_id,
        time_entries.hours_logged,
        time_entries.created_at,
        {{ local_date('time_entries.created_at', 'account_periods.timezone') }} as entry_date
    from time_entries
    inner join account_periods
        on
            time_entries.account_id = account_periods.account_id
            and {{ in_period_window('time_entries.created_at') }}
)

select * from final
