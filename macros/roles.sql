{#- The two reader roles of the BI tools (docs/operations.md, "Roles and grants"). Roles are
    global to the server: they are created once, idempotently, by the on-run-start hook, and
    every mart and history table grants SELECT to them and filters rows for the tenant reader
    (macro secure_for_readers). Nothing is granted on raw, staging, intermediate or seeds. -#}

{% macro reader_roles() -%}
    {{- return({
        'bi': 'flowpilot_bi_reader',
        'tenant': 'flowpilot_tenant_reader',
    }) -}}
{%- endmacro %}


{% macro manages_readers() -%}
    {#- Roles and grants are side effects of the commands that build (or of a run-operation
        that calls these macros), never of compile, docs generate, ls, test or show: compiling
        an analysis needs no CREATEROLE and changes nothing on the server. -#}
    {{- return(execute and flags.WHICH in ('build', 'run', 'seed', 'snapshot', 'run-operation')) -}}
{%- endmacro %}


{% macro create_reader_roles() -%}
    {{- return(adapter.dispatch('create_reader_roles', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__create_reader_roles() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
{%- endmacro %}


{% macro postgres__create_reader_roles() -%}
    {#- on-run-start: create the reader roles when missing (NOLOGIN group roles; people and BI
        tools log in as their own roles, members of these). Guarded by the var manage_roles:
        false on a server where the dbt user may not create roles; an administrator then runs
        the statements of docs/operations.md once. Checking pg_roles first means that no
        CREATEROLE right is needed once the roles exist. -#}
    {%- if var('manage_roles') and manages_readers() -%}
        {%- for role in reader_roles().values() %}
do $create_role$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
        create role {{ role }} nologin;
    end if;
exception
    -- another build on the same server created it between the check and the create
    when duplicate_object or unique_violation then null;
end
$create_role$;
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{% macro reader_schemas() -%}
    {#- The schemas the readers may use: those of the models under models/marts and
        models/history. -#}
    {%- set schemas = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.fqn[1] in ('marts', 'history')
        and node.schema not in schemas -%}
        {%- do schemas.append(node.schema) -%}
    {%- endfor -%}
    {{- return(schemas | sort) -}}
{%- endmacro %}


{% macro grant_reader_schema_usage() -%}
    {{- return(adapter.dispatch('grant_reader_schema_usage', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__grant_reader_schema_usage() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
{%- endmacro %}


{% macro postgres__grant_reader_schema_usage() -%}
    {#- on-run-start (dbt has created the schemas of the selected models by then): USAGE on
        the marts and history schemas, and only there. Granted only when missing, so that two
        builds at once never update the same catalog row. -#}
    {%- if manages_readers() -%}
        {%- for schema in reader_schemas() -%}
            {%- for role in reader_roles().values() %}
do $grant_usage$
begin
    if exists (select from pg_catalog.pg_namespace where nspname = '{{ schema }}')
        and exists (select from pg_catalog.pg_roles where rolname = '{{ role }}')
        and not has_schema_privilege('{{ role }}', '{{ schema }}', 'USAGE') then
        grant usage on schema {{ schema }} to {{ role }};
    end if;
end
$grant_usage$;
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
