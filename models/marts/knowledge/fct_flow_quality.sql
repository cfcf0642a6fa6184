{#- One row per account, period and live flow of the account: how the flow's sessions in the
    window went, a quality score and the flow's rank (METRICS.md section 4, fct_flow_quality).
    Scores, the rank and the thresholds use unrounded values. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

live_flows as (
    select
        flow_id,
        account_id,
        flow_name,
        tree_type,
        last_ever_matched_at
    from {{ ref('int_live_flows_enriched') }}
),

matched_sessions as (
    select
        account_id,
        period,
        matched_flow_id,
        created_at,
        is_resolved,
        is_guided
    from {{ ref('int_sessions_windowed') }}
    where matched_flow_id is not null
),

flow_usage as (
    select
        account_id,
        period,
        matched_flow_id,
        count(*) as usage_count,
        count(*) filter (where is_resolved) as resolved_count,
        count(*) filter (where is_guided) as guided_count,
        max(created_at) as last_matched_in_window_at
    from matched_sessions
    group by account_id, period, matched_flow_id
),

flow_periods as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        live_flows.flow_id,
        live_flows.flow_name,
        live_flows.tree_type,
        coalesce(flow_usage.usage_count, 0) as usage_count,
        coalesce(flow_usage.resolved_count, 0) as resolved_count,
        coalesce(flow_usage.guided_count, 0) as guided_count,
        {{ rate('flow_usage.resolved_count', 'flow_usage.usage_count') }} as success_rate,
        {{ rate('flow_usage.guided_count', 'flow_usage.usage_count') }} as guided_rate,
        case
            when flow_usage.usage_count > 0 then flow_usage.last_matched_in_window_at
            else live_flows.last_ever_matched_at
        end as last_matched_at,
        {#- d in fractional days from the last match ever; greatest/least skip nulls, so a
            flow never matched needs its own branch. -#}
        cast(
            case
                when live_flows.last_ever_matched_at is null then 0.0
                else greatest(0.0, least(1.0, 1.0 - (
                    {{ duration_seconds(
                        'live_flows.last_ever_matched_at', 'account_periods.as_of'
                    ) }}
                ) / 86400 / 90))
            end as {{ type_double() }}
        ) as recency_score
    from account_periods
    inner join live_flows
        on account_periods.account_id = live_flows.account_id
    left join flow_usage
        on
            account_periods.account_id = flow_usage.account_id
            and account_periods.period = flow_usage.period
            and live_flows.flow_id = flow_usage.matched_flow_id
),

quality_scored as (
    select
        account_id,
        period,
        period_start,
        as_of,
        flow_id,
        flow_name,
        tree_type,
        usage_count,
        resolved_count,
        guided_count,
        success_rate,
        guided_rate,
        last_matched_at,
        recency_score,
        cast(
            case
                when usage_count > 0
                    then 0.5 * success_rate + 0.3 * guided_rate + 0.2 * recency_score
                else 0.0
            end as {{ type_double() }}
        ) as quality_score
    from flow_periods
),

final as (
    select
        account_id,
        period,
        period_start,
        as_of,
        flow_id,
        flow_name,
        tree_type,
        usage_count,
        resolved_count,
        guided_count,
        success_rate,
        guided_rate,
        last_matched_at,
        recency_score,
        quality_score,
        cast(row_number() over (
            partition by account_id, period
            order by quality_score desc, usage_count desc, flow_id asc
        ) as bigint) as quality_rank,
        {#- Ranked again among the used flows only: the top 5 of those. -#}
        usage_count > 0
        and row_number() over (
            partition by account_id, period, usage_count > 0
            order by quality_score desc, usage_count desc, flow_id asc
        ) <= 5 as is_top_performer,
        usage_count > 0
        and (
            success_rate < 0.5
            or last_matched_at < {{ minus_days('as_of', 30) }}
        ) as needs_attention
    from quality_scored
)

-- Stored in index order: the rows of one account and period share a page or two (BI reads).
select * from final
order by account_id, period, flow_id
