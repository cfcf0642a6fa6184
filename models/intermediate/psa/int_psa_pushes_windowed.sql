{#- One row per push and period whose window holds the push's posted_at. A push belongs to the
    account of its session (METRICS.md section 4), whatever the session's age: a push posted in
    the window for an older session counts. Pushes without a known session (null, dangling, or
    a session created after as_of) are left out; assert_psa_pushes_have_a_known_session counts
    them at warn level. -#}
with

pushes as (
    select
        push_id,
        session_id,
        status,
        retry_count,
        posted_at
    from {{ ref('int_psa_pushes_as_of') }}
),

sessions as (
    select
        session_id,
        account_id
    from {{ ref('int_sessions_as_of') }}
),

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

pushes_with_account as (
    select
        pushes.push_id,
        pushes.session_id,
        sessions.account_id,
        pushes.status,
        pushes.retry_count,
        pushes.posted_at
    from pushes
    inner join sessions
        on pushes.session_id = sessions.session_id
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        pushes_with_account.push_id,
        pushes_with_account.session_id,
        pushes_with_account.status,
        pushes_with_account.retry_count,
        pushes_with_account.posted_at,
        {{ is_successful_push('pushes_with_account.status') }} as is_successful,
        {{ is_retry_successful_push(
            'pushes_with_account.status', 'pushes_with_account.retry_count'
        ) }} as is_retry_successful
    from pushes_with_account
    inner join account_periods
        on
            pushes_with_account.account_id = account_periods.account_id
            and pushes_with_account.posted_at >= account_periods.period_start
            and pushes_with_account.posted_at <= account_periods.as_of
)

select * from final
