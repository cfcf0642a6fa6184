{#- What exists only on PostgreSQL (issue 14): statistics after each build, reader roles with
    row-level security, the check for UNLOGGED tables, and the audit of each mart inside its
    swap transaction (with its ledger). Each hook goes through adapter.dispatch: the
    postgres__ version is in the macro's own file, the default__ version (every other engine)
    does nothing, and on_run_start_engine_notice says once per run what was left out and
    what the engine offers instead (README, "Other engines"). -#}

{% macro postgres_only_features() -%}
    {{- return([
        'ANALYZE after each table (the engine keeps its own statistics)',
        'reader roles, grants and row-level security (give readers the database file or a view of their own)',
        'the UNLOGGED-table check (every table is durable)',
        'the audit of each mart before its swap and its ledger (the marts\' tests run after them, as in a plain dbt build)',
    ]) -}}
{%- endmacro %}


{% macro on_run_start_engine_notice() -%}
    {{- return(adapter.dispatch('on_run_start_engine_notice', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro postgres__on_run_start_engine_notice() -%}
    select 1 as every_feature_applies
{%- endmacro %}


{% macro default__on_run_start_engine_notice() -%}
    {%- if execute -%}
        {{- log(
            target.type ~ ": PostgreSQL-only features skipped: "
            ~ postgres_only_features() | join('; '), info=true
        ) -}}
    {%- endif -%}
    select 1 as every_feature_applies
{%- endmacro %}


{% macro spark__on_run_start_engine_notice() -%}
    {%- if execute -%}
        {{- log(
            "spark: PostgreSQL-only features skipped: " ~ postgres_only_features() | join('; ')
            ~ ". Also on Spark: indexes are not created; the five delete+insert models are "
            ~ "rebuilt whole (no delete+insert without Delta Lake); a table is replaced by drop "
            ~ "and create (readers may see no table in between); history is not published",
            info=true
        ) -}}
    {%- endif -%}
    select 1 as every_feature_applies
{%- endmacro %}


{% macro analyze_table() -%}
    {{- return(adapter.dispatch('analyze_table', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro postgres__analyze_table() -%}
    {%- if config.get('materialized') != 'view' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}


{% macro default__analyze_table() -%}
{%- endmacro %}


{% macro duckdb__create_indexes(relation) -%}
    {#- Only the unique indexes, which enforce the grains (the project does not test again
        what a unique index guarantees). The others serve PostgreSQL's BI reads and plans
        (docs/physical_design.md); DuckDB reads columns with zone maps, and an ART index per
        config costs build time for no use here. -#}
    {%- for index in config.get('indexes', default=[]) if index.get('unique') -%}
        {%- do run_query(get_create_index_sql(relation, index)) -%}
    {%- endfor -%}
{%- endmacro %}
