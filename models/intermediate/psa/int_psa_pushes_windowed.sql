{#- One row per push and period whose window holds the push's posted_at: the pushes of the fact
    mart fct_psa_pushes (under the account of the push's session, int_psa_pushes_attributed;
    pushes without a known session left out), so the PSA funnel and the facts count the same
    rows (DECISIONLOG 22). A push posted in the window for an older session counts. -#}
with

pushes as (
    select
        push_id,
        session_id,
        account_id,
        posted_at,
        is_successful,
        is_retry_successful
    from {{ ref('fct_psa_pushes') }}
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
        pushes.push_id,
        pushes.session_id,
        pushes.is_successful,
        pushes.is_retry_successful
    from pushes
    inner join account_periods
        on
            pushes.account_id = account_periods.account_id
            and {{ in_period_window('pushes.posted_at') }}
)

select * from final
