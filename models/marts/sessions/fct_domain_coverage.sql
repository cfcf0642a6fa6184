{#- One row per account, period and problem domain with sessions in the window: how the
    domain's sessions ended and how many live flows of the account cover it. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

mapped_sessions as (
    select
        account_id,
        period,
        problem_domain,
        duration_seconds,
        is_resolved,
        is_escalated,
        is_guided
    from {{ ref('int_sessions_windowed') }}
    where problem_domain is not null
),

live_flows as (
    select
        flow_id,
        account_id,
        category_domain
    from {{ ref('int_live_flows_enriched') }}
    where category_domain is not null
),

domain_sessions as (
    select
        account_id,
        period,
        problem_domain,
        count(*) as session_count,
        count(*) filter (where is_resolved) as resolved_count,
        count(*) filter (where is_escalated) as escalated_count,
        count(*) filter (where is_guided) as guided_count,
        {{ exact_mean('duration_seconds', where='is_resolved') }} / 60
            as avg_resolution_minutes
    from mapped_sessions
    group by account_id, period, problem_domain
),

domain_flows as (
    select
        account_id,
        category_domain,
        count(*) as flow_count
    from live_flows
    group by account_id, category_domain
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        domain_sessions.problem_domain,
        domain_sessions.session_count,
        domain_sessions.resolved_count,
        domain_sessions.escalated_count,
        domain_sessions.guided_count,
        {{ rate('domain_sessions.resolved_count', 'domain_sessions.session_count') }}
            as resolution_rate,
        {{ rate('domain_sessions.escalated_count', 'domain_sessions.session_count') }}
            as escalation_rate,
        {{ rate('domain_sessions.guided_count', 'domain_sessions.session_count') }}
            as guided_rate,
        domain_sessions.avg_resolution_minutes,
        coalesce(domain_flows.flow_count, 0) as flow_count
    from domain_sessions
    inner join account_periods
        on
            domain_sessions.account_id = account_periods.account_id
            and domain_sessions.period = account_periods.period
    left join domain_flows
        on
            domain_sessions.account_id = domain_flows.account_id
            and domain_sessions.problem_domain = domain_flows.category_domain
)

-- Stored in index order: the rows of one account and period share a page or two (BI reads).
select * from final
order by account_id, period, problem_domain
