{% macro validate_operations_vars() -%}
    {#- Called by validate_vars (on-run-start, rendered while dbt parses: a bad value stops the
        run before any SQL). The vars of the nightly operations: manage_roles, a boolean, and
        the source freshness thresholds, whole hours with warn < error. -#}
    {%- set manage_roles = var('manage_roles') -%}
    {%- if manage_roles is not sameas true and manage_roles is not sameas false -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'manage_roles' must be true or false, got '" ~ manage_roles ~ "'"
        ) -}}
    {%- endif -%}
    {%- set hours = {} -%}
    {#- Their values are set once, in dbt_project.yml (no default here). -#}
    {%- for name in ['freshness_warn_hours', 'freshness_error_hours'] -%}
        {%- set value = var(name) -%}
        {%- if value is sameas true or value is sameas false or value is not number
            or value != value | int or value < 1 or value > 8760 -%}
            {{- exceptions.raise_compiler_error(
                "dbt var '" ~ name ~ "' must be a whole number of hours from 1 to 8760, got '"
                ~ value ~ "'"
            ) -}}
        {%- endif -%}
        {%- do hours.update({name: value | int}) -%}
    {%- endfor -%}
    {%- if hours['freshness_warn_hours'] >= hours['freshness_error_hours'] -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'freshness_warn_hours' (" ~ hours['freshness_warn_hours'] ~ ") must be "
            ~ "less than 'freshness_error_hours' (" ~ hours['freshness_error_hours'] ~ ")"
        ) -}}
    {%- endif -%}
{%- endmacro %}
