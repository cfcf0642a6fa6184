{#- MetricFlow's time spine (dbt 1.9+ time_spine config): one row per calendar day, wide enough
    for any as_of the project is built with. Metrics are joined to it only for time offsets and
    cumulative windows; a day here is a day of the accounts' local calendars (metric_time is
    the account-local day of the fact models). -#}
with

days as (
    select generated_day as date_day
    from {{ day_series("cast('2020-01-01' as date)", "cast('2035-12-31' as date)") }}
        as day_series
),

final as (
    select date_day
    from days
)

select * from final
