{#- The SQL that differs between engines (issue 14), each behind adapter.dispatch: the
    postgres__ version is what the project has always run; duckdb__ gives the same value on
    DuckDB. Models call only the neutral macro. -#}

{% macro type_double() -%}
    {#- An 8-byte float (PostgreSQL's double precision; dbt's type_float is 4 bytes on DuckDB). -#}
    {{- return(adapter.dispatch('type_double', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__type_double() -%}
    double precision
{%- endmacro %}


{% macro duckdb__type_double() -%}
    double
{%- endmacro %}


{% macro spark__type_double() -%}
    double
{%- endmacro %}


{% macro type_exact_decimal() -%}
    {#- The exact type that means are taken in (macro exact_mean). PostgreSQL's numeric is
        unbounded; an unqualified decimal elsewhere keeps 3 digits after the point at most, so
        the others name a precision: 26 digits before the point and 12 after. -#}
    {{- return(adapter.dispatch('type_exact_decimal', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__type_exact_decimal() -%}
    numeric
{%- endmacro %}


{% macro duckdb__type_exact_decimal() -%}
    decimal(38, 12)
{%- endmacro %}


{% macro spark__type_exact_decimal() -%}
    decimal(38, 12)
{%- endmacro %}


{% macro interval_hours(hours) -%}
    {#- An interval of exactly HOURS hours (an integer expression): no calendar days, so that
        instant - interval is the same on every engine across daylight-saving changes. -#}
    {{- return(adapter.dispatch('interval_hours', 'flowpilot_metrics')(hours)) -}}
{%- endmacro %}


{% macro default__interval_hours(hours) -%}
    make_interval(hours => {{ hours }})
{%- endmacro %}


{% macro duckdb__interval_hours(hours) -%}
    to_hours(cast({{ hours }} as bigint))
{%- endmacro %}


{% macro spark__interval_hours(hours) -%}
    make_dt_interval(0, cast({{ hours }} as int), 0, 0)
{%- endmacro %}


{% macro integer_divide(dividend, divisor) -%}
    {#- Integer division truncating toward zero, for non-negative integers. -#}
    {{- return(adapter.dispatch('integer_divide', 'flowpilot_metrics')(dividend, divisor)) -}}
{%- endmacro %}


{% macro default__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) / ({{ divisor }})
{%- endmacro %}


{% macro duckdb__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}


{% macro spark__integer_divide(dividend, divisor) -%}
    cast(({{ dividend }}) div ({{ divisor }}) as int)
{%- endmacro %}


{% macro utc_iso_text(instant) -%}
    {#- An instant as ISO-8601 text in UTC with microseconds, e.g. 2026-04-27T15:25:46.000000+00:00. -#}
    {{- return(adapter.dispatch('utc_iso_text', 'flowpilot_metrics')(instant)) -}}
{%- endmacro %}


{% macro default__utc_iso_text(instant) -%}
    to_char(({{ instant }}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
{%- endmacro %}


{% macro duckdb__utc_iso_text(instant) -%}
    strftime(({{ instant }}) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f+00:00')
{%- endmacro %}


{% macro spark__utc_iso_text(instant) -%}
    {#- The session zone is UTC (profiles.yml), so date_format writes the UTC wall time. -#}
    date_format({{ instant }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'")
{%- endmacro %}


{% macro type_hours() -%}
    {#- Hours of a time entry and their sums: exact, two digits after the point as landed
        (raw numeric(8, 2)). The contracts of the hour columns name the same type. -#}
    {{- return(adapter.dispatch('type_hours', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__type_hours() -%}
    numeric
{%- endmacro %}


{% macro duckdb__type_hours() -%}
    decimal(38, 2)
{%- endmacro %}


{% macro spark__type_hours() -%}
    decimal(38, 2)
{%- endmacro %}


{% macro time_zone_names_of_engine() -%}
    {#- A select of the zone names the engine converts with, one column time_zone_name. -#}
    {{- return(adapter.dispatch('time_zone_names_of_engine', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__time_zone_names_of_engine() -%}
    select name as time_zone_name
    from pg_catalog.pg_timezone_names
{%- endmacro %}


{% macro duckdb__time_zone_names_of_engine() -%}
    select name as time_zone_name
    from pg_timezone_names()
{%- endmacro %}


{% macro spark__time_zone_names_of_engine() -%}
    {#- Spark has no catalog of zone names: Java's zone ids, the names Spark resolves besides
        them (EST, MST, HST: fixed offsets, as on PostgreSQL; GMT+0, GMT-0: offset 0) and the
        names spark__local_date maps to the zone Java knows them by (spark_zone_aliases). -#}
    select explode(
        array_union(
            split(
                regexp_replace(
                    reflect('java.time.ZoneId', 'getAvailableZoneIds'), '^\\[|\\]$', ''
                ),
                ', '
            ),
            array(
                'EST', 'MST', 'HST', 'GMT+0', 'GMT-0'
                {%- for pinned in spark_zone_aliases() %}, '{{ pinned }}'{% endfor %}
            )
        )
    ) as time_zone_name
{%- endmacro %}


{% macro time_zone_names_pinned_from_engine() -%}
    {#- true where seed time_zone_names is this engine's own list (PostgreSQL 16.2). -#}
    {{- return(adapter.dispatch('time_zone_names_pinned_from_engine', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__time_zone_names_pinned_from_engine() -%}
    false
{%- endmacro %}


{% macro postgres__time_zone_names_pinned_from_engine() -%}
    true
{%- endmacro %}


{% macro type_instant() -%}
    {#- An instant: PostgreSQL's and DuckDB's timestamp with time zone; Spark's timestamp (its
        session zone is UTC). -#}
    {{- return(adapter.dispatch('type_instant', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__type_instant() -%}
    timestamp with time zone
{%- endmacro %}


{% macro spark__type_instant() -%}
    timestamp
{%- endmacro %}


{% macro instant_before_all_text() -%}
    {#- Text of an instant before every landed row, for an empty table's watermark. -#}
    {{- return(adapter.dispatch('instant_before_all_text', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__instant_before_all_text() -%}
    -infinity
{%- endmacro %}


{% macro spark__instant_before_all_text() -%}
    {#- Spark has no infinite timestamps: the first instant of year 1. -#}
    0001-01-01T00:00:00.000000+00:00
{%- endmacro %}


{% macro instant_literal(text) -%}
    {#- SQL of the instant TEXT (ISO-8601 with an offset); none: instant_before_all_text(). -#}
    {%- set text = instant_before_all_text() | trim if text is none else text -%}
    {{- return("cast('" ~ text ~ "' as " ~ type_instant() | trim ~ ")") -}}
{%- endmacro %}


{% macro day_series(first_day, last_day) -%}
    {#- A relation of one column generated_day, every calendar day from FIRST_DAY to LAST_DAY
        (date expressions), both included. -#}
    {{- return(adapter.dispatch('day_series', 'flowpilot_metrics')(first_day, last_day)) -}}
{%- endmacro %}


{% macro default__day_series(first_day, last_day) -%}
    (
        select cast(generated_day as date) as generated_day
        from generate_series({{ first_day }}, {{ last_day }}, interval '1 day')
            as day_series (generated_day)
    )
{%- endmacro %}


{% macro spark__day_series(first_day, last_day) -%}
    (
        select explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day))
            as generated_day
    )
{%- endmacro %}
