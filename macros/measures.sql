{% macro duration_seconds(start_at, end_at) -%}
    case
        when {{ end_at }} >= {{ start_at }}
            then extract(epoch from ({{ end_at }} - {{ start_at }}))::double precision
        when {{ end_at }} < {{ start_at }} then 0.0::double precision
    end
{%- endmacro %}


{% macro rate(numerator, denominator) -%}
    ({{ numerator }})::double precision / nullif({{ denominator }}, 0)
{%- endmacro %}


{% macro minus_days(instant, days) -%}
    {#- N days of 24 hours: timestamptz minus interval 'N days' would follow the session's
        time zone across daylight-saving changes. -#}
    ({{ instant }} - make_interval(hours => 24 * ({{ days }})))
{%- endmacro %}


{% macro exact_mean(expression, where=none) -%}
    {#- Aggregate: the mean in exact numeric arithmetic, returned as double precision. A sum of
        doubles depends on the order of the rows (and of parallel workers); this does not, so
        two builds of the same data give the same bits. Null on an empty set. -#}
    cast(
        avg(cast({{ expression }} as numeric))
        {%- if where is not none %} filter (where {{ where }}){% endif %}
        as double precision
    )
{%- endmacro %}
