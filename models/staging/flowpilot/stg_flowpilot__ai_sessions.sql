{{
    config(
        materialized=incremental_or_table(),
        unique_key='session_id',
        incremental_strategy='delete+insert',
        indexes=[{'columns': ['session_id'], 'unique': True}],
    )
}}

with

source as (
    select * from {{ source('flowpilot', 'ai_sessions') }}
    where {{ loaded_since_last_run() }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

final as (
    select
        id as session_id,
        account_id,
        user_id,
        {{ normalize_code('status') }} as status,
        {{ normalize_code('problem_domain') }} as problem_domain,
        {{ normalize_code('confidence_tier') }} as confidence_tier,
        matched_flow_id,
        {{ blank_to_null('psa_ticket_id') }} as psa_ticket_id,
        {{ blank_to_null('psa_ticket_id') }} is not null as is_linked_to_ticket,
        step_count,
        case when session_rating between 1 and 5 then session_rating end as session_rating,
        created_at,
        resolved_at,
        updated_at,
        _loaded_at
    from deduplicated
)

select * from final
