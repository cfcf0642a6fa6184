{#- GET /analytics/flowpilot?period=30d, rebuilt from the marts: the dashboard's response for
    one account and period, as one JSON document. A BI tool reads each mart with
    `where account_id = ? and period = ?`; here the two parameters come from the request CTE
    (dbt vars account_id and period, validated by macros/analysis_vars.sql; defaults: a demo
    account and 30d). Differences from the old
    endpoint are METRICS.md's: rates are fractions, averages and rates are null on an empty set,
    values are unrounded, days are in the account's time zone. psa_metrics comes from
    fct_psa_funnel and is always present: the old endpoint hid it unless the window had a
    linked session, and hard-coded its time-entry totals to 0. -#}
with

request as (
    select
        cast('{{ analysis_account_id("0a002a00-0000-0000-0000-000000000001") }}' as uuid)
            as account_id,
        cast('{{ analysis_period() }}' as text) as period
),

session_metrics as (
    select
        fct_session_metrics.account_id,
        fct_session_metrics.period,
        fct_session_metrics.total_sessions,
        fct_session_metrics.resolved_sessions,
        fct_session_metrics.escalated_sessions,
        fct_session_metrics.abandoned_sessions,
        fct_session_metrics.resolution_rate,
        fct_session_metrics.avg_steps_to_resolution,
        fct_session_metrics.avg_session_duration_minutes,
        fct_session_metrics.avg_rating,
        fct_session_metrics.mttr_minutes
    from {{ ref('fct_session_metrics') }} as fct_session_metrics
    {{ request_join('fct_session_metrics') }}
),

mttr_trend as (
    select
        jsonb_agg(
            jsonb_build_object(
                'date', fct_mttr_trend.resolved_date,
                'mttr_minutes', fct_mttr_trend.mttr_minutes,
                'session_count', fct_mttr_trend.session_count
            )
            order by fct_mttr_trend.resolved_date
        ) as points
    from {{ ref('fct_mttr_trend') }} as fct_mttr_trend
    {{ request_join('fct_mttr_trend') }}
),

domains as (
    select
        jsonb_agg(
            jsonb_build_object(
                'domain', fct_domain_coverage.problem_domain,
                'total', fct_domain_coverage.session_count,
                'resolved', fct_domain_coverage.resolved_count,
                'escalated', fct_domain_coverage.escalated_count,
                'resolution_rate', fct_domain_coverage.resolution_rate
            )
            order by fct_domain_coverage.session_count desc, fct_domain_coverage.problem_domain asc
        ) as sessions_by_domain,
        jsonb_agg(
            jsonb_build_object(
                'domain', fct_domain_coverage.problem_domain,
                'flow_count', fct_domain_coverage.flow_count,
                'session_count', fct_domain_coverage.session_count,
                'guided_rate', fct_domain_coverage.guided_rate
            )
            order by fct_domain_coverage.session_count desc, fct_domain_coverage.problem_domain asc
        ) as coverage_by_domain
    from {{ ref('fct_domain_coverage') }} as fct_domain_coverage
    {{ request_join('fct_domain_coverage') }}
),

confidence as (
    select
        jsonb_object_agg(
            fct_confidence_breakdown.confidence_tier || '_sessions',
            fct_confidence_breakdown.session_count
        )
        || jsonb_object_agg(
            fct_confidence_breakdown.confidence_tier || '_resolution_rate',
            fct_confidence_breakdown.resolution_rate
        ) as breakdown
    from {{ ref('fct_confidence_breakdown') }} as fct_confidence_breakdown
    {{ request_join('fct_confidence_breakdown') }}
),

knowledge as (
    select
        fct_knowledge_coverage.total_flows,
        fct_knowledge_coverage.ai_generated_flows,
        fct_knowledge_coverage.proposals_pending,
        fct_knowledge_coverage.proposals_approved,
        fct_knowledge_coverage.proposals_rejected
    from {{ ref('fct_knowledge_coverage') }} as fct_knowledge_coverage
    {{ request_join('fct_knowledge_coverage') }}
),

psa as (
    select
        fct_psa_funnel.ticket_link_rate,
        fct_psa_funnel.auto_push_success_rate,
        fct_psa_funnel.auto_push_retry_success_rate,
        fct_psa_funnel.total_time_entries,
        fct_psa_funnel.total_hours_logged
    from {{ ref('fct_psa_funnel') }} as fct_psa_funnel
    {{ request_join('fct_psa_funnel') }}
),

final as (
    select
        jsonb_build_object(
            'period', session_metrics.period,
            'total_sessions', session_metrics.total_sessions,
            'resolved_sessions', session_metrics.resolved_sessions,
            'escalated_sessions', session_metrics.escalated_sessions,
            'abandoned_sessions', session_metrics.abandoned_sessions,
            'resolution_rate', session_metrics.resolution_rate,
            'avg_steps_to_resolution', session_metrics.avg_steps_to_resolution,
            'avg_session_duration_minutes', session_metrics.avg_session_duration_minutes,
            'avg_rating', session_metrics.avg_rating,
            'mttr_minutes', session_metrics.mttr_minutes,
            'mttr_trend', coalesce(mttr_trend.points, '[]'::jsonb),
            'sessions_by_domain', coalesce(domains.sessions_by_domain, '[]'::jsonb),
            'confidence_breakdown', confidence.breakdown,
            'knowledge_coverage', jsonb_build_object(
                'total_flows', knowledge.total_flows,
                'ai_generated_flows', knowledge.ai_generated_flows,
                'total_proposals_pending', knowledge.proposals_pending,
                'proposals_approved_this_period', knowledge.proposals_approved,
                'proposals_rejected_this_period', knowledge.proposals_rejected,
                'coverage_by_domain', coalesce(domains.coverage_by_domain, '[]'::jsonb)
            ),
            'psa_metrics', jsonb_build_object(
                'ticket_link_rate', psa.ticket_link_rate,
                'auto_push_success_rate', psa.auto_push_success_rate,
                'auto_push_retry_success_rate', psa.auto_push_retry_success_rate,
                'total_time_entries_logged', psa.total_time_entries,
                'total_hours_logged', psa.total_hours_logged
            )
        ) as response
    from session_metrics
    cross join mttr_trend
    cross join domains
    cross join confidence
    cross join knowledge
    cross join psa
)

select * from final
