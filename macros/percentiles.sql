{#- Percentiles by the FlowPilot endpoint's index rule (METRICS.md section 4), explained once in
    the doc block percentile_index_rule (models/marts/escalations/_escalations__docs.md).
    Each is an aggregate expression: use it in a select with group by, like avg(). -#}

{% macro round_half_even(x) -%}
    {#- x rounded to the nearest integer, ties to the even one, as double precision.
        Spelled out because PostgreSQL's round(double precision) follows the platform's rint()
        and round(numeric) rounds ties away from zero. x - floor(x) is exact in float8. -#}
    (case
        when ({{ x }}) - floor({{ x }}) > 0.5 then floor({{ x }}) + 1
        when ({{ x }}) - floor({{ x }}) < 0.5 then floor({{ x }})
        else floor({{ x }}) + mod(cast(floor({{ x }}) as bigint), 2)
    end)
{%- endmacro %}


{% macro percentile_index(fraction, n) -%}
    {#- The 0-based index of the fraction-percentile among n sorted values. -#}
    cast(
        {{ round_half_even('cast(' ~ fraction ~ ' as ' ~ type_double() ~ ') * ((' ~ n ~ ') - 1)') }}
        as integer
    )
{%- endmacro %}


{% macro percentile_value(value, fraction) -%}
    {#- Aggregate: the fraction-percentile of the non-null values of value; null when none. -#}
    {{ sorted_values_element(value, percentile_index(fraction, 'count(' ~ value ~ ')') ~ ' + 1') }}
{%- endmacro %}


{% macro median_value(value) -%}
    {#- Aggregate: the median of the non-null values of value (for an even count the mean of
        the two middle values, as Python's statistics.median); null when none. With n values
        the middle ones are the 1-based (n + 1) / 2 and n / 2 + 1 (integer division): the same
        element for an odd n. The result is double precision. -#}
    (
        cast(
            {{ sorted_values_element(value, integer_divide('count(' ~ value ~ ') + 1', 2)) }}
            as {{ type_double() }}
        )
        + cast(
            {{ sorted_values_element(value, integer_divide('count(' ~ value ~ ')', 2) ~ ' + 1') }}
            as {{ type_double() }}
        )
    ) / 2
{%- endmacro %}


{% macro sorted_values_element(value, position) -%}
    {#- Aggregate: the POSITION-th (1-based) of the non-null values of VALUE in ascending
        order; null when there is no such element (no values). -#}
    {{- return(adapter.dispatch('sorted_values_element', 'flowpilot_metrics')(value, position)) -}}
{%- endmacro %}


{% macro default__sorted_values_element(value, position) -%}
    (array_agg({{ value }} order by {{ value }}) filter (where {{ value }} is not null))[
        {{ position }}
    ]
{%- endmacro %}


{% macro spark__sorted_values_element(value, position) -%}
    {#- collect_list skips nulls; element_at raises on position 0 (no values), so it is
        guarded. -#}
    case
        when {{ position }} >= 1
            then element_at(array_sort(collect_list({{ value }})), {{ position }})
    end
{%- endmacro %}
