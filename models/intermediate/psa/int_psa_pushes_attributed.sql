{{ config(materialized='view') }}
{#- One row per PSA push as of as_of, under the account of its session (METRICS.md section 4:
    a push belongs to the account of its session, whatever the session's age), with its
    outcome flags. account_id is null when the session is null, dangling or created after
    as_of: the PSA marts and facts leave those pushes out, and the warn-level test
    assert_psa_pushes_have_a_known_session lists them. A view: the one place of the rule, read
    by int_psa_pushes_windowed, fct_psa_pushes and that test. -#}
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

final as (
    select
        pushes.push_id,
        pushes.session_id,
        sessions.account_id,
        pushes.status,
        pushes.retry_count,
        pushes.posted_at,
        {{ is_successful_push('pushes.status') }} as is_successful,
        {{ is_retry_successful_push('pushes.status', 'pushes.retry_count') }}
            as is_retry_successful
    from pushes
    left join sessions
        on pushes.session_id = sessions.session_id
)

select * from final
