{#- History tables (models/history): the nightly job appends the period marts as they were
    built, one row per as_of date (UTC) x account x period (x key). A build for a date that already
    has rows replaces them (the pre-hook deletes them in the same transaction as the insert),
    so a rerun never duplicates a date. -#}

{% macro history_of(mart_name) -%}
    {#- The model SQL of <mart>_history: the mart's documented (contracted) columns, in the
        mart's order, after as_of_date. The columns come from the history model's YAML, which
        flowpilot_tools.history_yaml derives from the mart's YAML (a test fails while it is
        out of date). -#}
    {%- set mart = ref(mart_name) -%}
    {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ mart_name) -%}
    {#- A unit test compiles against a manifest without the graph: there the fixture of the
        mart is read whole (mart.*), and the test compares the columns it names. -#}
    {%- set columns = node.columns.keys() | list if node else ['*'] %}
with

mart as (
    select
    {%- for column in columns %}
        {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ mart }}
),

final as (
    select
        {{ history_as_of_date('mart.as_of') }} as as_of_date
    {%- for column in columns %},
        mart.{{ column }}
    {%- endfor %}
    from mart
    {#- only the nightly job writes history (var publish_history) #}
    where {{ 'true' if history_is_published() else 'false' }}
)

select * from final
{%- endmacro %}


{% macro history_as_of_date(as_of_column) -%}
    {{ local_date(as_of_column, "'UTC'") }}
{%- endmacro %}


{% macro history_replace_as_of_date() -%}
    {#- pre-hook of the history models, inside the transaction of the insert: delete the rows
        of the date being written - the as_of date of the mart's rows, and the date of this
        build's as_of (so that a date is replaced even when the mart is empty now).
        History is written only with the var publish_history (the nightly job, after a build
        that succeeded whole): in any other build that selects a history model (e.g.
        `dbt build -s int_sessions_windowed+`) the model deletes and inserts nothing. -#}
    {%- if execute and not history_is_published() -%}
        {{- log(model.name ~ ": history left as it was (written only with the var "
            ~ "publish_history, by the nightly job)", info=true) -}}
    {%- endif -%}
    {%- if execute and history_is_published() and target.type == 'spark' -%}
        {{- exceptions.raise_compiler_error(
            model.name ~ ": history is published on PostgreSQL and DuckDB only: Spark's "
            ~ "parquet tables cannot delete the rows of a date (README, \"Other engines\")"
        ) -}}
    {%- endif -%}
    {%- if execute and is_incremental() and history_is_published() -%}
        {%- set marts = [] -%}
        {%- for node_id in model.depends_on.nodes if node_id.startswith('model.') -%}
            {%- do marts.append(node_id) -%}
        {%- endfor -%}
        {%- if marts | length != 1 -%}
            {{- exceptions.raise_compiler_error(
                model.name ~ ": a history model reads exactly one mart, found " ~ marts
            ) -}}
        {%- endif %}
delete from {{ this }}
where
    as_of_date = {{ history_as_of_date(as_of()) }}
    or as_of_date in (
        select distinct {{ history_as_of_date('as_of') }}
        from {{ graph.nodes[marts[0]].relation_name }}
    )
    {%- endif -%}
{%- endmacro %}


{% macro history_is_published() -%}
    {{- return(var('publish_history') is sameas true) -}}
{%- endmacro %}
