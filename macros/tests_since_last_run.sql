{#- Tests of the 16 M step rows read only the rows landed since the last build. A test opts in
    with `config: {where: "_loaded_at > steps_tested_since"}`: the word steps_tested_since is
    replaced, when the test runs, by the steps watermark that int_handoffs_first_step_found recorded
    in the previous build, less lookback_hours. A test's where is rendered once, while dbt
    parses, so the watermark (a query) cannot be written there; get_where_subquery runs with
    the test. Tests run before the models downstream of their model, so the watermark is still
    the previous build's; without that table, or with --full-refresh, every row is read. -#}

{% macro default__get_where_subquery(relation) -%}
    {#- Overrides dbt's default__get_where_subquery on every engine (the root project is
        searched first, whatever the adapter). -#}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set filtered -%}
        (
            select * from {{ relation }}
            where {{ where | replace('steps_tested_since', steps_tested_since()) }}
        ) dbt_subquery
    {%- endset -%}
    {{- return(filtered) -}}
{%- endmacro %}


{% macro steps_tested_since() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{- return(instant_literal(none)) -}}
    {%- endif -%}
    {%- set node = graph.nodes['model.flowpilot_metrics.int_handoffs_first_step_found'] -%}
    {%- set facts = adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    ) -%}
    {%- if facts is none -%}
        {{- return(instant_literal(none)) -}}
    {%- endif -%}
    {{- return(incremental_watermark('steps_loaded_through', facts)) -}}
{%- endmacro %}
