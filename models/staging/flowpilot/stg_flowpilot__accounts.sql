with

source as (
    select * from {{ source('flowpilot', 'accounts') }}
),

deduplicated as (
    {{ deduplicate('source', 'id', '_loaded_at desc nulls first') }}
),

-- The pinned list of valid names (seed time_zone_names), not the server's pg_timezone_names:
-- the same data give the same zones whatever the server's tzdata.
time_zones as (
    select time_zone_name
    from {{ ref('time_zone_names') }}
),

final as (
    select
        deduplicated.id as account_id,
        deduplicated.name as account_name,
        deduplicated.timezone as timezone_raw,
        coalesce(time_zones.time_zone_name, 'UTC') as timezone,
        time_zones.time_zone_name is not null as has_valid_timezone,
        deduplicated.created_at,
        deduplicated._loaded_at
    from deduplicated
    left join time_zones
        on trim(deduplicated.timezone) = time_zones.time_zone_name
)

select * from final
