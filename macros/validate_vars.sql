{% macro validate_vars() -%}
    {#- Runs as on-run-start: every var is checked before any SQL is sent. -#}
    {%- do parse_as_of(var('as_of', none)) -%}
    {%- set raw_schema = var('raw_schema', 'raw') | string -%}
    {%- if not modules.re.match('^[a-z_][a-z0-9_]{0,62}$', raw_schema) -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'raw_schema' is not a plain lower-case schema name: '" ~ raw_schema ~ "'"
        ) -}}
    {%- endif -%}
    {%- set lookback = var('lookback_hours', 3) | string -%}
    {%- if not modules.re.match('^[0-9]{1,4}$', lookback) -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'lookback_hours' must be a whole number of hours (0-9999): '" ~ lookback ~ "'"
        ) -}}
    {%- endif -%}
    {%- do validate_operations_vars() -%}
    select 1 as vars_validated
{%- endmacro %}
