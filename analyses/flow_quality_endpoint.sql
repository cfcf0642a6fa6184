{#- GET /analytics/flowpilot/flow-quality?period=30d&sort=quality, rebuilt from the marts: every
    live flow of one account with its quality score, the top performers and the flows that
    need attention, as one JSON document. A BI tool reads the mart with
    `where account_id = ? and period = ?`; here the two parameters come from the request CTE
    (dbt vars account_id and period, validated by macros/analysis_vars.sql; defaults: a demo
    account and 30d). quality_rank is the
    deterministic sort=quality order; sort=usage would be `order by usage_count desc`.
    avg_confidence is the endpoint's name for guided_rate. -#}
with

request as (
    select
        cast('{{ analysis_account_id("0a002a00-0000-0000-0000-000000000001") }}' as uuid)
            as account_id,
        cast('{{ analysis_period() }}' as text) as period
),

flows as (
    select
        fct_flow_quality.quality_rank,
        fct_flow_quality.is_top_performer,
        fct_flow_quality.needs_attention,
        jsonb_build_object(
            'flow_id', fct_flow_quality.flow_id,
            'name', fct_flow_quality.flow_name,
            'tree_type', fct_flow_quality.tree_type,
            'usage_count', fct_flow_quality.usage_count,
            'success_rate', fct_flow_quality.success_rate,
            'last_matched_at', fct_flow_quality.last_matched_at,
            'avg_confidence', fct_flow_quality.guided_rate,
            'quality_score', fct_flow_quality.quality_score
        ) as flow
    from {{ ref('fct_flow_quality') }} as fct_flow_quality
    {{ request_join('fct_flow_quality') }}
),

final as (
    select
        jsonb_build_object(
            'flows',
            coalesce(jsonb_agg(flows.flow order by flows.quality_rank), '[]'::jsonb),
            'top_performers',
            coalesce(
                jsonb_agg(flows.flow order by flows.quality_rank)
                filter (where flows.is_top_performer),
                '[]'::jsonb
            ),
            'needs_attention',
            coalesce(
                jsonb_agg(flows.flow order by flows.quality_rank)
                filter (where flows.needs_attention),
                '[]'::jsonb
            )
        ) as response
    from flows
)

select * from final
