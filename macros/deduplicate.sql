{% macro deduplicate(relation, key, order_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'flowpilot_metrics')(relation, key, order_by)) }}
{%- endmacro %}


{% macro default__deduplicate(relation, key, order_by) -%}
    {#- Portable: adds a column dedupe_row_number that callers leave out of their column list. -#}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as dedupe_row_number
        from {{ relation }}
    ) as numbered
    where dedupe_row_number = 1
{%- endmacro %}


{% macro postgres__deduplicate(relation, key, order_by) -%}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}
