{{ config(materialized='view') }}
{#- One row per handoff as of as_of with its first action (METRICS.md section 4): the earliest
    step of the same session created strictly after claimed_at and not after as_of. The
    handoffs come as of as_of from int_handoffs_as_of (a claim after as_of has not happened);
    their as_of-free first steps from int_handoffs_first_step_found. When the first step after the
    claim is later than as_of, no step of the session lies between the claim and as_of. The
    session itself is not read: a handoff whose session is missing still counts, by the
    handoff's own account. A view, read once: by the fact mart fct_escalation_handoffs, which
    the escalation mart aggregates (DECISIONLOG 22). -#}
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

first_steps as (
    select
        handoff_id,
        first_step_after_claim_at
    from {{ ref('int_handoffs_first_step_found') }}
),

first_actions as (
    select
        handoffs.handoff_id,
        handoffs.session_id,
        handoffs.account_id,
        handoffs.status,
        handoffs.created_at,
        handoffs.claimed_at,
        case
            when handoffs.claimed_at is not null
                then {{ happened_by_as_of('first_steps.first_step_after_claim_at') }}
        end as first_action_at
    from handoffs
    left join first_steps
        on handoffs.handoff_id = first_steps.handoff_id
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
