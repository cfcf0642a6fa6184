{#- One row per account, period and day: MTTR of the resolved sessions created in the window,
    by the day of their resolved_at in the account's time zone. Only days with sessions. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

resolved_sessions as (
    select
        account_id,
        period,
        resolved_date,
        duration_seconds
    from {{ ref('int_sessions_windowed') }}
    where
        is_resolved
        and resolved_at is not null
),

daily_mttr as (
    select
        account_id,
        period,
        resolved_date,
        {{ exact_mean('duration_seconds') }} / 60 as mttr_minutes,
        count(*) as session_count
    from resolved_sessions
    group by account_id, period, resolved_date
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        daily_mttr.resolved_date,
        daily_mttr.mttr_minutes,
        daily_mttr.session_count
    from daily_mttr
    inner join account_periods
        on
            daily_mttr.account_id = account_periods.account_id
            and daily_mttr.period = account_periods.period
)

-- Stored in index order: the rows of one account and period share a page or two (BI reads).
select * from final
order by account_id, period, resolved_date
