{{
    config(
        materialized=incremental_or_table(),
        unique_key='handoff_id',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['handoff_id'], 'unique': True}],
    )
}}

{#- One row per handoff (latest version), with the first step of its session created strictly
    after the claim - independent of as_of, so that it can be kept incrementally: the as-of
    rule is applied by int_handoffs_first_action_joined. The first step is the earliest step row
    of the session after the claim that is the latest version of its id, read with one index
    scan per claimed handoff (raw indexes (session_id, created_at) and (id, _loaded_at)).
    Incremental runs recompute only the handoffs that changed and the handoffs of sessions that
    received step rows (or held earlier versions of them) since the last run. -#}
with

handoffs as (
    select
        handoff_id,
        session_id,
        account_id,
        status,
        created_at,
        claimed_at,
        _loaded_at
    from {{ ref('stg_flowpilot__session_handoffs') }}
),

-- Not materialized on PostgreSQL: every read below must reach the raw indexes through the view.
step_versions as {{ cte_not_materialized() }} (
    select
        step_id,
        session_id,
        created_at,
        _loaded_at
    from {{ ref('stg_flowpilot__ai_session_step_versions') }}
),

-- Steps landed since the last run (none in a full refresh, which reads every handoff).
new_steps as (
    select
        step_id,
        session_id,
        _loaded_at
    from step_versions
    where
        {% if is_incremental() -%}
            _loaded_at > {{ incremental_watermark('steps_loaded_through') }}
        {%- else -%}
            false
        {%- endif %}
),

-- Their sessions, and the sessions that held earlier versions of them.
touched_sessions as (
    select new_steps.session_id
    from new_steps
    union
    select earlier_versions.session_id
    from new_steps
    inner join step_versions as earlier_versions
        on
            new_steps.step_id = earlier_versions.step_id
            and new_steps._loaded_at > earlier_versions._loaded_at
),

-- Handoffs that changed, and the handoffs of touched sessions (all of them in a full refresh).
handoffs_to_compute as (
    select handoffs.*
    from handoffs
    where
        {% if is_incremental() -%}
            handoffs._loaded_at > {{ incremental_watermark('_loaded_at') }}
        {%- else -%}
            true
        {%- endif %}
        or handoffs.session_id in (select touched_sessions.session_id from touched_sessions)
),

-- The watermark this run records: the newest step row there is (read from the index).
steps_loaded_through as (
    select max(_loaded_at) as loaded_through
    from step_versions
),

claimed_handoffs as (
    select
        handoff_id,
        session_id,
        claimed_at
    from handoffs_to_compute
    where claimed_at is not null
),

first_steps as (
    {{ first_step_after_claim('claimed_handoffs', 'step_versions') }}
),

final as (
    select
        handoffs_to_compute.handoff_id,
        handoffs_to_compute.session_id,
        handoffs_to_compute.account_id,
        handoffs_to_compute.status,
        handoffs_to_compute.created_at,
        handoffs_to_compute.claimed_at,
        first_steps.first_step_after_claim_at,
        handoffs_to_compute._loaded_at,
        steps_loaded_through.loaded_through as steps_loaded_through
    from handoffs_to_compute
    left join first_steps
        on handoffs_to_compute.handoff_id = first_steps.handoff_id
    cross join steps_loaded_through
)

select * from final
