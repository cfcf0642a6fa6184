{#- The as-of instant of the build (METRICS.md section 2) and the two rules that apply it. -#}

{% macro as_of() -%}
    cast('{{ as_of_iso() }}' as {{ type_instant() }})
{%- endmacro %}


{% macro in_period_window(instant, periods='account_periods') -%}
    {#- METRICS.md section 2: a period's window is closed, period_start <= instant <= as_of.
        PERIODS names a relation with the columns period_start and as_of. -#}
    ({{ instant }} >= {{ periods }}.period_start and {{ instant }} <= {{ periods }}.as_of)
{%- endmacro %}


{% macro as_of_iso() -%}
    {{- return(parse_as_of(var('as_of', none))) -}}
{%- endmacro %}


{% macro parse_as_of(value) -%}
    {#- Returns the instant as an ISO-8601 UTC string; raises naming the var on bad input. -#}
    {%- if value is none or (value is string and value | trim == '') -%}
        {{- return(run_started_at.astimezone(modules.pytz.utc).isoformat()) -}}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})([.][0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$' -%}
    {%- set match = modules.re.match(pattern, text) -%}
    {%- if not match -%}
        {{- as_of_error(text) -}}
    {%- endif -%}
    {%- set year = match.group(1) | int -%}
    {%- set month = match.group(2) | int -%}
    {%- set day = match.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- set offset = match.group(8) -%}
    {%- if month < 1 or month > 12 or day < 1 or day > month_days[month - 1]
        or match.group(4) | int > 23 or match.group(5) | int > 59 or match.group(6) | int > 59
        or (offset != 'Z' and (offset[1:3] | int > 23 or offset[4:6] | int > 59)) -%}
        {{- as_of_error(text) -}}
    {%- endif -%}
    {%- set instant = modules.datetime.datetime.fromisoformat(text | replace('Z', '+00:00')) -%}
    {{- return(instant.astimezone(modules.pytz.utc).isoformat()) -}}
{%- endmacro %}


{% macro as_of_error(text) -%}
    {{- exceptions.raise_compiler_error(
        "dbt var 'as_of' is not a valid instant: '" ~ text ~ "'. Expected an ISO-8601 "
        ~ "timestamp with a UTC offset, YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM or ...Z, "
        ~ "e.g. 2026-04-27T15:25:46+00:00"
    ) -}}
{%- endmacro %}


{% macro existed_at_as_of(created_at) -%}
    {{ created_at }} <= {{ as_of() }}
{%- endmacro %}


{% macro happened_by_as_of(event_at) -%}
    case when {{ event_at }} <= {{ as_of() }} then {{ event_at }} end
{%- endmacro %}
