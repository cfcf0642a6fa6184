{#- The response of the old endpoint GET /analytics/flowpilot/escalations?period=P for one
    account, rebuilt from the mart: one indexed read `where account_id = ? and period = ?`.
    Vars (validated by macros/analysis_vars.sql): account_id (default: the account with the
    most claimed handoffs in the period, so that the compiled query shows something) and period
    (default 30d). Compile with
      dbt compile --select escalations_endpoint --vars '{"account_id": "<uuid>"}'
    and run target/compiled/flowpilot_metrics/analyses/escalations_endpoint.sql.
    Like the endpoint, the statistics are rounded to 2 decimals (round(numeric) rounds ties away
    from zero where Python's round() on a float may not: the last digit can differ on a tie).
    Unlike it, the window is closed at as_of and the data is cleaned and as of as_of
    (METRICS.md section 5); the backlog columns are not part of the old response. -#}
{%- set account_id = analysis_account_id() -%}
{%- set period = analysis_period() -%}
{%- if account_id is none -%}
    {%- set requested_account_id -%}
        (
            select busiest.account_id
            from {{ ref('fct_escalation_metrics') }} as busiest
            where busiest.period = '{{ period }}'
            order by busiest.n_handoffs_claimed desc, busiest.account_id asc
            limit 1
        )
    {%- endset -%}
{%- else -%}
    {%- set requested_account_id = "'" ~ account_id ~ "'::uuid" -%}
{%- endif -%}
with

escalation_metrics as (
    select
        account_id,
        period,
        n_handoffs_claimed,
        n_handoffs_with_action,
        avg_seconds_to_first_action,
        median_seconds_to_first_action,
        p95_seconds_to_first_action,
        metric_definition
    from {{ ref('fct_escalation_metrics') }}
),

final as (
    select
        period,
        n_handoffs_claimed,
        n_handoffs_with_action,
        round(avg_seconds_to_first_action::numeric, 2) as avg_seconds_to_first_action,
        round(median_seconds_to_first_action::numeric, 2) as median_seconds_to_first_action,
        round(p95_seconds_to_first_action::numeric, 2) as p95_seconds_to_first_action,
        metric_definition
    from escalation_metrics
    where
        account_id = {{ requested_account_id }}
        and period = '{{ period }}'
)

select * from final
