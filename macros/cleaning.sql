{% macro normalize_code(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}


{% macro blank_to_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
