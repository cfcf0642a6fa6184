{#- The response of GET /analytics/flowpilot/psa-metrics (EnhancedPsaMetrics) for one account
    and period, rebuilt from the PSA marts as one JSON document:
        dbt compile --select psa_metrics_endpoint \
            --vars '{"account_id": "<uuid>", "period": "30d", "as_of": "..."}'
    then run the compiled SQL (target/compiled/.../analyses/psa_metrics_endpoint.sql).
    Differences from the live endpoint (METRICS.md section 5): the window is closed at as_of;
    avg_hours_per_session is hours per time entry, as the endpoint computed it, under its old
    name (the mart calls it avg_hours_per_time_entry) and null without entries; values are
    unrounded; daily_trend days are in the account's time zone; push_funnel also carries the
    cohort funnel (cohort_doc_pushed, cohort_time_entry_logged), which is monotone, unlike
    doc_pushed and time_entry_logged, which keep the endpoint's meaning. -#}
{%- set account_id = analysis_account_id('0a002a00-0006-0000-0000-000000000001') -%}
{%- set period = analysis_period() %}
with

funnel as (
    select
        total_sessions,
        linked_to_ticket,
        doc_pushed,
        time_entry_logged,
        cohort_doc_pushed,
        cohort_time_entry_logged,
        total_time_entries,
        total_hours_logged,
        avg_hours_per_time_entry
    from {{ ref('fct_psa_funnel') }}
    where
        account_id = '{{ account_id }}'::uuid
        and period = '{{ period }}'
),

daily as (
    select
        entry_date,
        time_entries,
        hours_logged
    from {{ ref('fct_psa_daily') }}
    where
        account_id = '{{ account_id }}'::uuid
        and period = '{{ period }}'
),

daily_trend as (
    select
        coalesce(
            json_agg(
                json_build_object(
                    'date', entry_date,
                    'entries', time_entries,
                    'hours', hours_logged
                )
                order by entry_date
            ),
            '[]'::json
        ) as daily_trend
    from daily
),

final as (
    select
        json_build_object(
            'total_time_entries', funnel.total_time_entries,
            'total_hours_logged', funnel.total_hours_logged,
            'avg_hours_per_session', funnel.avg_hours_per_time_entry,
            'push_funnel', json_build_object(
                'total_sessions', funnel.total_sessions,
                'linked_to_ticket', funnel.linked_to_ticket,
                'doc_pushed', funnel.doc_pushed,
                'time_entry_logged', funnel.time_entry_logged,
                'cohort_doc_pushed', funnel.cohort_doc_pushed,
                'cohort_time_entry_logged', funnel.cohort_time_entry_logged
            ),
            'daily_trend', daily_trend.daily_trend
        ) as response
    from funnel
    cross join daily_trend
)

select * from final
