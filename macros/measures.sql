{% macro duration_seconds(start_at, end_at) -%}
    {#- Seconds from start_at to end_at, 0 when the clock drifted (end before start), null
        when either is null. -#}
    case
        when {{ end_at }} >= {{ start_at }}
            then {{ seconds_between(start_at, end_at) }}
        when {{ end_at }} < {{ start_at }} then cast(0 as {{ type_double() }})
    end
{%- endmacro %}


{% macro seconds_between(start_at, end_at) -%}
    {#- end_at - start_at in seconds, as a double: the exact microseconds divided once, so
        every engine gets the same bits. -#}
    {{- return(adapter.dispatch('seconds_between', 'flowpilot_metrics')(start_at, end_at)) -}}
{%- endmacro %}


{% macro postgres__seconds_between(start_at, end_at) -%}
    extract(epoch from ({{ end_at }} - {{ start_at }}))::double precision
{%- endmacro %}


{% macro duckdb__seconds_between(start_at, end_at) -%}
    cast(epoch_us({{ end_at }}) - epoch_us({{ start_at }}) as double) / 1000000
{%- endmacro %}


{% macro spark__seconds_between(start_at, end_at) -%}
    cast(unix_micros({{ end_at }}) - unix_micros({{ start_at }}) as double) / 1000000
{%- endmacro %}


{% macro rate(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}


{% macro minus_days(instant, days) -%}
    {#- N days of 24 hours: timestamptz minus interval 'N days' would follow the session's
        time zone across daylight-saving changes. -#}
    ({{ instant }} - {{ interval_hours('24 * (' ~ days ~ ')') }})
{%- endmacro %}


{% macro exact_mean(expression, where=none) -%}
    {#- Aggregate: the mean in exact numeric arithmetic, returned as double precision. A sum of
        doubles depends on the order of the rows (and of parallel workers); this does not, so
        two builds of the same data give the same bits. Null on an empty set. -#}
    cast(
        avg(cast({{ expression }} as {{ type_exact_decimal() }}))
        {%- if where is not none %} filter (where {{ where }}){% endif %}
        as {{ type_double() }}
    )
{%- endmacro %}
