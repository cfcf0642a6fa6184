{#- One row per account and period: the account's flows and the flow proposals waiting for or
    reviewed in the window (METRICS.md section 4, fct_knowledge_coverage). -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

flows as (
    select
        flow_id,
        account_id,
        origin
    from {{ ref('int_flows_as_of') }}
),

proposals as (
    select
        proposal_id,
        account_id,
        status,
        reviewed_at
    from {{ ref('int_flow_proposals_as_of') }}
),

flow_totals as (
    select
        account_id,
        count(*) as total_flows,
        count(*) filter (
            where origin in ('ai_generated', 'ai_enhanced')
        ) as ai_generated_flows
    from flows
    group by account_id
),

pending_proposals as (
    select
        account_id,
        count(*) as proposals_pending
    from proposals
    where status = 'pending'
    group by account_id
),

reviewed_proposals as (
    select
        account_periods.account_id,
        account_periods.period,
        count(*) filter (
            where proposals.status in ('approved', 'modified')
        ) as proposals_approved,
        count(*) filter (where proposals.status = 'rejected') as proposals_rejected
    from proposals
    inner join account_periods
        on
            proposals.account_id = account_periods.account_id
            and {{ in_period_window('proposals.reviewed_at') }}
    group by account_periods.account_id, account_periods.period
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        coalesce(flow_totals.total_flows, 0) as total_flows,
        coalesce(flow_totals.ai_generated_flows, 0) as ai_generated_flows,
        coalesce(pending_proposals.proposals_pending, 0) as proposals_pending,
        coalesce(reviewed_proposals.proposals_approved, 0) as proposals_approved,
        coalesce(reviewed_proposals.proposals_rejected, 0) as proposals_rejected
    from account_periods
    left join flow_totals
        on account_periods.account_id = flow_totals.account_id
    left join pending_proposals
        on account_periods.account_id = pending_proposals.account_id
    left join reviewed_proposals
        on
            account_periods.account_id = reviewed_proposals.account_id
            and account_periods.period = reviewed_proposals.period
)

select * from final
