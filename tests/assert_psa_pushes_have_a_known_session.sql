{{ config(severity='warn') }}
{#- Pushes left out of the PSA marts (METRICS.md section 4: a push belongs to the account of
    its session; pushes without a known session are left out): session_id null, dangling, or a
    session created after as_of. Warn level, so that their number is visible in every build
    ("Got N results") without failing it. -#}
select
    push_id,
    session_id,
    status,
    posted_at
from {{ ref('int_psa_pushes_attributed') }}
where account_id is null
