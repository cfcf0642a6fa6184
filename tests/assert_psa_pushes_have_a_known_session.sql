{{ config(severity='warn') }}
{#- Pushes left out of the PSA marts (METRICS.md section 4: a push belongs to the account of
    its session; pushes without a known session are left out): session_id null, dangling, or a
    session created after as_of. Warn level, so that their number is visible in every build
    ("Got N results") without failing it. -#}
with

pushes as (
    select
        push_id,
        session_id,
        status,
        posted_at
    from {{ ref('int_psa_pushes_as_of') }}
),

sessions as (
    select session_id
    from {{ ref('int_sessions_as_of') }}
),

final as (
    select
        pushes.push_id,
        pushes.session_id,
        pushes.status,
        pushes.posted_at
    from pushes
    left join sessions
        on pushes.session_id = sessions.session_id
    where sessions.session_id is null
)

select * from final
