{{ config(severity='warn') }}

{#- The pinned time zone list (seed time_zone_names) against this server's pg_timezone_names:
    one row per name that only one of them has. A name only in the seed would make
    `at time zone` fail for an account using it; a name only on the server is treated as
    unknown (UTC). Either way the server's tzdata differs from the pinned one. -#}
with

pinned as (
    select time_zone_name
    from {{ ref('time_zone_names') }}
),

on_server as (
    select name as time_zone_name
    from pg_catalog.pg_timezone_names
),

final as (
    select
        coalesce(pinned.time_zone_name, on_server.time_zone_name) as time_zone_name,
        case
            when on_server.time_zone_name is null then 'pinned, unknown to this server'
            else 'on this server, not pinned'
        end as difference
    from pinned
    full outer join on_server
        on pinned.time_zone_name = on_server.time_zone_name
    where pinned.time_zone_name is null or on_server.time_zone_name is null
)

select * from final
