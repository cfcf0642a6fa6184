{#- One row per time entry and period whose window holds its created_at: the entries of the fact
    mart fct_psa_time_entries (activity time_entry_posted as of as_of, under the entry's own
    account_id, METRICS.md section 4, with the day of created_at in that account's time zone),
    so both PSA marts and the facts count the same rows (DECISIONLOG 22). -#}
with

time_entries as (
    select
        activity_id,
        account_id,
        session_id,
        hours_logged,
        created_at,
        entry_date
    from {{ ref('fct_psa_time_entries') }}
),

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        time_entries.activity_id,
        time_entries.session_id,
        time_entries.hours_logged,
        time_entries.entry_date
    from time_entries
    inner join account_periods
        on
            time_entries.account_id = account_periods.account_id
            and {{ in_period_window('time_entries.created_at') }}
)

select * from final
