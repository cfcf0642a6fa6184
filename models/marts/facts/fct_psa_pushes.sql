{#- One row per PSA push as of as_of that belongs to an account: the account of its session
    (int_psa_pushes_attributed, METRICS.md section 4), whatever the session's age. Pushes
    without a known session are left out, as in the PSA funnel. -#}
with

pushes as (
    select
        push_id,
        session_id,
        account_id,
        status,
        retry_count,
        posted_at,
        is_successful,
        is_retry_successful
    from {{ ref('int_psa_pushes_attributed') }}
    where account_id is not null
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
        pushes.account_id,
        pushes.status,
        pushes.retry_count,
        pushes.retry_count > 0 as is_retried,
        pushes.is_successful,
        pushes.is_retry_successful,
        pushes.posted_at,
        {{ local_date('pushes.posted_at', 'accounts.timezone') }} as posted_date
    from pushes
    inner join accounts
        on pushes.account_id = accounts.account_id
)

select * from final
