{% macro validate_operations_vars() -%}
    {#- Called by validate_vars (on-run-start, rendered while dbt parses: a bad value stops the
        run before any SQL). The vars of the nightly operations: manage_roles and
        publish_history, booleans; the source freshness thresholds, whole hours with
        warn < error; the volume guard's volume_shrink_limit, a fraction in (0, 1], and
        volume_shrink_expected, true, false or a list of marts. -#}
    {%- for name in ['manage_roles', 'publish_history'] -%}
        {%- set value = var(name) -%}
        {%- if value is not sameas true and value is not sameas false -%}
            {{- exceptions.raise_compiler_error(
                "dbt var '" ~ name ~ "' must be true or false, got '" ~ value ~ "'"
            ) -}}
        {%- endif -%}
    {%- endfor -%}
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
    {%- set limit = var('volume_shrink_limit') -%}
    {%- if limit is sameas true or limit is sameas false or limit is not number
        or limit <= 0 or limit > 1 -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'volume_shrink_limit' must be a fraction above 0 and at most 1 (the "
            ~ "largest fall of a mart's volume accepted without volume_shrink_expected), got '"
            ~ limit ~ "'"
        ) -}}
    {%- endif -%}
    {%- set expected = var('volume_shrink_expected') -%}
    {%- set marts = [] -%}
    {%- for node in (graph.nodes or {}).values() if node.resource_type == 'model'
        and node.fqn[1] == 'marts' -%}
        {%- do marts.append(node.name) -%}
    {%- endfor -%}
    {%- if expected is not sameas true and expected is not sameas false
        and (expected is string or expected is not iterable
            or (marts and expected | reject('in', marts) | list)) -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'volume_shrink_expected' must be true, false or a list of marts ("
            ~ marts | sort | join(', ') ~ "), got '" ~ expected ~ "'"
        ) -}}
    {%- endif -%}
    {%- if hours['freshness_warn_hours'] >= hours['freshness_error_hours'] -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'freshness_warn_hours' (" ~ hours['freshness_warn_hours'] ~ ") must be "
            ~ "less than 'freshness_error_hours' (" ~ hours['freshness_error_hours'] ~ ")"
        ) -}}
    {%- endif -%}
{%- endmacro %}
