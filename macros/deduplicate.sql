{% macro deduplicate(relation, key, order_by) -%}
    {#- One row per key, the first by order_by. Spell out nulls first/last in order_by: the
        engines' defaults differ (PostgreSQL sorts nulls first in descending order, DuckDB and
        Spark last). -#}
    {{- return(adapter.dispatch('deduplicate', 'flowpilot_metrics')(relation, key, order_by)) -}}
{%- endmacro %}


{% macro default__deduplicate(relation, key, order_by) -%}
    {#- DISTINCT ON, which PostgreSQL and DuckDB both have. -#}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}


{% macro spark__deduplicate(relation, key, order_by) -%}
    select * except (deduplicate_rank)
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as deduplicate_rank
        from {{ relation }}
    ) as ranked
    where deduplicate_rank = 1
{%- endmacro %}
