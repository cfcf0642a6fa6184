{#- One row per handoff as of as_of with its first action: the earliest step of the same
    session created strictly after the claim. Set-based: the claimed handoffs are joined to the
    steps of their sessions once (a hash join on session_id), and the earliest later step is
    taken per handoff. A handoff's first action depends only on its own row and the steps of its
    session, so an incremental build can recompute just the handoffs whose session got steps. -#}
with

handoffs as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        claimed_at
    from {{ ref('int_handoffs_as_of') }}
),

steps as (
    select
        session_id,
        created_at
    from {{ ref('int_session_steps_as_of') }}
),

claimed_handoffs as (
    select
        handoff_id,
        session_id,
        claimed_at
    from handoffs
    where claimed_at is not null
),

first_actions as (
    select
        claimed_handoffs.handoff_id,
        min(steps.created_at) as first_action_at
    from claimed_handoffs
    inner join steps
        on
            claimed_handoffs.session_id = steps.session_id
            and claimed_handoffs.claimed_at < steps.created_at
    group by claimed_handoffs.handoff_id
),

final as (
    select
        handoffs.handoff_id,
        handoffs.session_id,
        handoffs.account_id,
        handoffs.status,
        handoffs.created_at,
        handoffs.claimed_at,
        first_actions.first_action_at,
        {{ duration_seconds('handoffs.claimed_at', 'first_actions.first_action_at') }}
            as seconds_to_first_action
    from handoffs
    left join first_actions
        on handoffs.handoff_id = first_actions.handoff_id
)

select * from final
