{#- GET /analytics/flowpilot/coverage?period=30d, rebuilt from the marts: sessions and live-flow
    coverage by problem domain for one account and period, as one JSON document. A BI tool
    reads each mart with `where account_id = ? and period = ?`; here the two parameters come
    from the request CTE (dbt vars account_id and period, validated by macros/analysis_vars.sql; defaults: a demo
    account and 30d).
    Rates are fractions and unrounded; flow_count is real (METRICS.md). -#}
with

request as (
    select
        cast('{{ analysis_account_id("0a002a00-0000-0000-0000-000000000001") }}' as uuid)
            as account_id,
        cast('{{ analysis_period() }}' as text) as period
),

domain_rows as (
    select
        count(*) as total_domains,
        jsonb_agg(
            jsonb_build_object(
                'domain', fct_domain_coverage.problem_domain,
                'flow_count', fct_domain_coverage.flow_count,
                'session_count', fct_domain_coverage.session_count,
                'resolution_rate', fct_domain_coverage.resolution_rate,
                'escalation_rate', fct_domain_coverage.escalation_rate,
                'guided_rate', fct_domain_coverage.guided_rate,
                'avg_resolution_minutes', fct_domain_coverage.avg_resolution_minutes
            )
            order by fct_domain_coverage.session_count desc, fct_domain_coverage.problem_domain asc
        ) as domains
    from {{ ref('fct_domain_coverage') }} as fct_domain_coverage
    {{ request_join('fct_domain_coverage') }}
),

unmapped as (
    select fct_session_metrics.unmapped_sessions
    from {{ ref('fct_session_metrics') }} as fct_session_metrics
    {{ request_join('fct_session_metrics') }}
),

final as (
    select
        jsonb_build_object(
            'domains', coalesce(domain_rows.domains, '[]'::jsonb),
            'unmapped_session_count', unmapped.unmapped_sessions,
            'total_domains', domain_rows.total_domains
        ) as response
    from unmapped
    cross join domain_rows
)

select * from final
