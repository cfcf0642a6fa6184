{#- One row per account, period and confidence tier (always guided, exploring and discovery):
    sessions in the window that ended resolved or escalated, and how many were resolved. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

confidence_tiers as (
    select confidence_tier
    from {{ ref('confidence_tiers') }}
),

concluded_sessions as (
    select
        account_id,
        period,
        confidence_tier,
        is_resolved
    from {{ ref('int_sessions_windowed') }}
    where
        is_resolved
        or is_escalated
),

tier_sessions as (
    select
        account_id,
        period,
        confidence_tier,
        count(*) as session_count,
        count(*) filter (where is_resolved) as resolved_count
    from concluded_sessions
    group by account_id, period, confidence_tier
),

account_period_tiers as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        confidence_tiers.confidence_tier
    from account_periods
    cross join confidence_tiers
),

final as (
    select
        account_period_tiers.account_id,
        account_period_tiers.period,
        account_period_tiers.period_start,
        account_period_tiers.as_of,
        account_period_tiers.confidence_tier,
        coalesce(tier_sessions.session_count, 0) as session_count,
        coalesce(tier_sessions.resolved_count, 0) as resolved_count,
        {{ rate('tier_sessions.resolved_count', 'tier_sessions.session_count') }}
            as resolution_rate
    from account_period_tiers
    left join tier_sessions
        on
            account_period_tiers.account_id = tier_sessions.account_id
            and account_period_tiers.period = tier_sessions.period
            and account_period_tiers.confidence_tier = tier_sessions.confidence_tier
)

-- Stored in index order: the rows of one account and period share a page or two (BI reads).
select * from final
order by account_id, period, confidence_tier
