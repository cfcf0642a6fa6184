with

source as (
    select * from {{ source('flowpilot', 'ai_session_steps') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc') }}
),

final as (
    select
        id as step_id,
        session_id,
        step_number,
        {{ normalize_code('step_type') }} as step_type,
        created_at,
        _loaded_at
    from deduplicated
)

select * from final
