{#- One row per PSA push as of as_of that belongs to an account: the account of its session
    (METRICS.md section 4, attribution), whatever the session's age. Pushes without a known
    session (null, dangling, or a session created after as_of) are left out, as in the PSA
    funnel; assert_psa_pushes_have_a_known_session counts them at warn level. -#}
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

accounts as (
    select
        account_id,
        timezone
    from {{ ref('int_accounts_unioned') }}
),

final as (
    select
        pushes.push_id,
        pushes.session_id,
        sessions.account_id,
        pushes.status,
        pushes.retry_count,
        pushes.retry_count > 0 as is_retried,
        {{ is_successful_push('pushes.status') }} as is_successful,
        {{ is_retry_successful_push('pushes.status', 'pushes.retry_count') }}
            as is_retry_successful,
        pushes.posted_at,
        {{ local_date('pushes.posted_at', 'accounts.timezone') }} as posted_date
    from pushes
    inner join sessions
        on pushes.session_id = sessions.session_id
    inner join accounts
        on sessions.account_id = accounts.account_id
)

select * from final
