{#- One row per escalation handoff as of as_of (METRICS.md section 4, fct_escalation_metrics):
    its claim, its first action and the seconds between them from
    int_handoffs_first_action_joined (the rows the escalation mart aggregates), and, for a
    handoff nobody has claimed by as_of and not cancelled, its age at as_of. -#}
with

handoffs as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        claimed_at,
        first_action_at,
        seconds_to_first_action
    from {{ ref('int_handoffs_first_action_joined') }}
),

accounts as (
    select
        account_id,
        timezone
    from {{ ref('int_accounts_unioned') }}
),

classified as (
    select
        handoffs.handoff_id,
        handoffs.session_id,
        handoffs.account_id,
        handoffs.status,
        handoffs.created_at,
        {{ local_date('handoffs.created_at', 'accounts.timezone') }} as created_date,
        handoffs.claimed_at,
        {{ local_date('handoffs.claimed_at', 'accounts.timezone') }} as claimed_date,
        handoffs.claimed_at is not null as is_claimed,
        handoffs.first_action_at,
        handoffs.first_action_at is not null as has_first_action,
        handoffs.seconds_to_first_action,
        {{ is_unclaimed_handoff('handoffs.claimed_at', 'handoffs.status') }} as is_unclaimed
    from handoffs
    inner join accounts
        on handoffs.account_id = accounts.account_id
),

final as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        created_date,
        claimed_at,
        claimed_date,
        is_claimed,
        first_action_at,
        has_first_action,
        seconds_to_first_action,
        is_unclaimed,
        case
            when is_unclaimed then {{ duration_seconds('created_at', as_of()) }}
        end as unclaimed_age_seconds
    from classified
)

select * from final
