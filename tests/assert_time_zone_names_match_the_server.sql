{{ config(severity='warn') }}

{#- The pinned time zone list (seed time_zone_names) against the engine's list of zone names:
    one row per name that only one of them has. A name only in the seed would make the
    conversion to local time fail for an account using it. A name only on the server is
    treated as unknown (UTC), as METRICS.md's rule says: on PostgreSQL, where the seed was
    pinned from, it means the server's tzdata differs from the pinned one; other engines
    (ICU on DuckDB) know more names by design, and only the first kind is reported there. -#}
with

pinned as (
    select time_zone_name
    from {{ ref('time_zone_names') }}
),

on_server as (
    {{ time_zone_names_of_engine() }}
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
    where
        on_server.time_zone_name is null
        or (pinned.time_zone_name is null and {{ time_zone_names_pinned_from_engine() }})
)

select * from final
