{% macro make_tables_logged() -%}
    {{- return(adapter.dispatch('make_tables_logged', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__make_tables_logged() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
    {{- return('select 1 as tables_logged') -}}
{%- endmacro %}


{% macro postgres__make_tables_logged() -%}
    {#- on-run-start of build, run and retry: every table of this project is logged. Versions
        before DECISIONLOG 14 made staging and intermediate tables UNLOGGED, and an incremental
        model keeps the table it has, so a deployment that upgraded still has them: crash
        recovery empties such a table, and the marts built from it publish zeros.
        A non-empty unlogged table is made logged (rewritten once, with WAL). An empty one may
        have been emptied by a crash since the last run: the run stops, naming it and the
        full refresh that rebuilds it. -#}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{- return('select 1 as tables_logged') -}}
    {%- endif -%}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name -%}
        {%- do models.update({(node.schema ~ '.' ~ node.alias) | lower: node.name}) -%}
    {%- endfor -%}
    {%- set schemas = [] -%}
    {%- for name in models -%}
        {%- do schemas.append(name.split('.')[0]) -%}
    {%- endfor -%}
    {%- set query -%}
        select
            namespace.nspname || '.' || class.relname as relation_name,
            format('%I.%I', namespace.nspname, class.relname) as quoted_name
        from pg_class as class
        inner join pg_namespace as namespace on class.relnamespace = namespace.oid
        where
            class.relkind = 'r'
            and class.relpersistence = 'u'
            and namespace.nspname in ('{{ schemas | unique | join("', '") }}')
        order by 1
    {%- endset -%}
    {%- set emptied = [] -%}
    {%- for relation in run_query(query).rows if relation['relation_name'] in models -%}
        {%- set model_name = models[relation['relation_name']] -%}
        {%- set has_rows = run_query(
            'select exists (select from ' ~ relation['quoted_name'] ~ ')'
        ).columns[0].values()[0] -%}
        {%- if has_rows -%}
            {%- do run_query('alter table ' ~ relation['quoted_name'] ~ ' set logged') -%}
            {{- log("made logged: " ~ relation['relation_name'] ~ " (" ~ model_name
                ~ ") was UNLOGGED; a crash would have emptied it", info=true) -}}
        {%- else -%}
            {%- do emptied.append(model_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if emptied -%}
        {{- exceptions.raise_compiler_error(
            "UNLOGGED and empty: " ~ emptied | join(', ') ~ ". A table made by an earlier "
            ~ "version of this project, which a server crash empties; nothing was built from "
            ~ "it. Rebuild it and what depends on it: dbt build --full-refresh --select "
            ~ emptied | join('+ ') ~ "+ (docs/operations.md, Recovery)"
        ) -}}
    {%- endif -%}
    select 1 as tables_logged
{%- endmacro %}
