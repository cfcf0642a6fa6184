{% macro deduplicate(relation, key, order_by) -%}
    {#- One row per key, the first by order_by: DISTINCT ON, which PostgreSQL and DuckDB both
        have (Spark, issue 14, will need a row_number() version behind adapter.dispatch). -#}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}
