{#- One row per account, period and day with time entries (METRICS.md section 4,
    fct_psa_daily): entries and hours by the day of created_at in the account's time zone. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

time_entry_periods as (
    select
        account_id,
        period,
        entry_date,
        hours_logged
    from {{ ref('int_psa_time_entries_windowed') }}
),

daily_entries as (
    select
        account_id,
        period,
        entry_date,
        count(*) as time_entries,
        sum(hours_logged) as hours_logged
    from time_entry_periods
    group by account_id, period, entry_date
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        daily_entries.entry_date,
        daily_entries.time_entries,
        daily_entries.hours_logged
    from daily_entries
    inner join account_periods
        on
            daily_entries.account_id = account_periods.account_id
            and daily_entries.period = account_periods.period
)

-- Stored in index order: the rows of one account and period share a page or two (BI reads).
select * from final
order by account_id, period, entry_date
