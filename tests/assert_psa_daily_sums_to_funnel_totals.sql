{#- fct_psa_daily and fct_psa_funnel count the same time entries: per account and period, the
    days' time_entries and hours_logged sum to total_time_entries and total_hours_logged (0 and
    0 when the account has no day). Returns the rows where they differ. -#}
with

funnel as (
    select
        account_id,
        period,
        total_time_entries,
        total_hours_logged
    from {{ ref('fct_psa_funnel') }}
),

daily as (
    select
        account_id,
        period,
        time_entries,
        hours_logged
    from {{ ref('fct_psa_daily') }}
),

daily_totals as (
    select
        account_id,
        period,
        sum(time_entries) as time_entries,
        sum(hours_logged) as hours_logged
    from daily
    group by account_id, period
),

final as (
    select
        funnel.account_id,
        funnel.period,
        funnel.total_time_entries,
        funnel.total_hours_logged,
        daily_totals.time_entries as daily_time_entries,
        daily_totals.hours_logged as daily_hours_logged
    from funnel
    full outer join daily_totals
        on
            funnel.account_id = daily_totals.account_id
            and funnel.period = daily_totals.period
    where
        funnel.account_id is null
        or funnel.total_time_entries != coalesce(daily_totals.time_entries, 0)
        or funnel.total_hours_logged != coalesce(daily_totals.hours_logged, 0)
)

select * from final
