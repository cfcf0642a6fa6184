with

accounts as (
    select
        account_id,
        timezone
    from {{ ref('int_accounts_unioned') }}
),

periods as (
    select
        period,
        period_days
    from {{ ref('periods') }}
),

final as (
    select
        accounts.account_id,
        accounts.timezone,
        periods.period,
        periods.period_days,
        {{ minus_days(as_of(), 'periods.period_days') }} as period_start,
        {{ as_of() }} as as_of
    from accounts
    cross join periods
)

select * from final
