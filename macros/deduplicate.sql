{% macro deduplicate(relation, key, order_by) -%}
    {#- One row per key, the first by order_by: PostgreSQL's DISTINCT ON (the project runs on
        PostgreSQL only; a portable row_number() variant would never run). -#}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}
