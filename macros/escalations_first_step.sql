{% macro first_step_after_claim(claimed_handoffs, step_versions) -%}
    {#- One row per claimed handoff of CLAIMED_HANDOFFS (handoff_id, session_id, claimed_at)
        whose session has a step created strictly after the claim: handoff_id and
        first_step_after_claim_at, the created_at of the earliest such step among the latest
        versions of the steps in STEP_VERSIONS (step_id, session_id, created_at, _loaded_at);
        a version is the latest when no version of its step_id landed later. -#}
    {{- return(adapter.dispatch('first_step_after_claim', 'flowpilot_metrics')(
        claimed_handoffs, step_versions
    )) -}}
{%- endmacro %}


{% macro postgres__first_step_after_claim(claimed_handoffs, step_versions) -%}
    {#- One index scan per claimed handoff (raw indexes (session_id, created_at) and
        (id, _loaded_at)): the first qualifying step ends the scan. -#}
    select
        {{ claimed_handoffs }}.handoff_id,
        first_step.created_at as first_step_after_claim_at
    from {{ claimed_handoffs }}
    inner join lateral (
        select candidate.created_at
        from {{ step_versions }} as candidate
        where
            candidate.session_id = {{ claimed_handoffs }}.session_id
            and candidate.created_at > {{ claimed_handoffs }}.claimed_at
            and not exists (
                select
                from {{ step_versions }} as newer
                where
                    newer.step_id = candidate.step_id
                    and newer._loaded_at > candidate._loaded_at
            )
        order by candidate.created_at
        limit 1
    ) as first_step on true
{%- endmacro %}


{% macro default__first_step_after_claim(claimed_handoffs, step_versions) -%}
    {#- Set-based: the latest versions of the steps (every version that landed last for its
        step_id: the same rows as "no later version exists"), those of the claimed sessions
        joined to the claims, and the earliest one after each claim kept. -#}
    with

    versions_ranked as (
        select
            session_id,
            created_at,
            _loaded_at,
            max(_loaded_at) over (partition by step_id) as latest_loaded_at
        from {{ step_versions }}
    ),

    latest_steps as (
        select
            session_id,
            created_at
        from versions_ranked
        where
            _loaded_at = latest_loaded_at
            and session_id in (select claimed.session_id from {{ claimed_handoffs }} as claimed)
    )

    select
        {{ claimed_handoffs }}.handoff_id,
        min(latest_steps.created_at) as first_step_after_claim_at
    from {{ claimed_handoffs }}
    inner join latest_steps
        on
            {{ claimed_handoffs }}.session_id = latest_steps.session_id
            and latest_steps.created_at > {{ claimed_handoffs }}.claimed_at
    group by {{ claimed_handoffs }}.handoff_id
{%- endmacro %}


{% macro cte_not_materialized() -%}
    {{- return(adapter.dispatch('cte_not_materialized', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro postgres__cte_not_materialized() -%}
    not materialized
{%- endmacro %}


{% macro default__cte_not_materialized() -%}
{%- endmacro %}
