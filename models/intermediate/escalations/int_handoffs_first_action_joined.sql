{#- One row per handoff as of as_of with its first action (METRICS.md section 4): the earliest
    step of the same session created strictly after claimed_at and not after as_of. The as-of
    rule is applied here to the as_of-free facts of int_handoff_first_steps: a claim after as_of
    has not happened, and when the first step after the claim is later than as_of, no step of
    the session lies between the claim and as_of. The session itself is not read: a handoff
    whose session is missing still counts, by the handoff's own account. -#}
with

handoffs as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        {{ happened_by_as_of('claimed_at') }} as claimed_at,
        {{ happened_by_as_of('first_step_after_claim_at') }} as first_step_after_claim_at
    from {{ ref('int_handoff_first_steps') }}
    where {{ existed_at_as_of('created_at') }}
),

first_actions as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        claimed_at,
        case when claimed_at is not null then first_step_after_claim_at end as first_action_at
    from handoffs
),

final as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        claimed_at,
        first_action_at,
        {{ duration_seconds('claimed_at', 'first_action_at') }} as seconds_to_first_action
    from first_actions
)

select * from final
