{#- The raw contract (contract/raw_schema.sql) as the build checks it. A raw table that is missing,
    or lacks a column, or has one of another type, fails the build before any model runs, with
    a message naming every such table and column (instead of a model failing later on "column
    does not exist"). Extra tables and columns are fine: replication may add them. The tables
    and columns, raw_contract(), are generated from the contract into
    macros/raw_contract_columns.sql (flowpilot_tools/raw_contract.py). -#}

{% macro check_raw_contract() -%}
    {#- on-run-start (after validate_vars, so raw_schema is a plain identifier). A text column
        landed as character varying is accepted; any other difference is an error. -#}
    {%- if execute -%}
        {%- set schema = var('raw_schema', 'raw') -%}
        {%- set found = raw_landed_columns(schema) -%}
        {%- set problems = [] -%}
        {%- set counts = namespace(columns=0) -%}
        {%- for table, columns in raw_contract().items() -%}
            {%- if table not in found -%}
                {%- do problems.append("table " ~ schema ~ "." ~ table ~ " is missing") -%}
            {%- else -%}
                {%- for column, data_type in columns.items() -%}
                    {%- set counts.columns = counts.columns + 1 -%}
                    {%- set landed = raw_contract_type_name(found[table].get(column)) -%}
                    {%- if landed is none -%}
                        {%- do problems.append(
                            "column " ~ schema ~ "." ~ table ~ "." ~ column ~ " is missing"
                        ) -%}
                    {%- elif landed != raw_contract_engine_type(data_type)
                        and not (data_type == 'text' and landed == 'character varying') -%}
                        {%- do problems.append(
                            "column " ~ schema ~ "." ~ table ~ "." ~ column ~ " is " ~ landed
                            ~ ", the contract says " ~ raw_contract_engine_type(data_type)
                        ) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if problems -%}
            {{- exceptions.raise_compiler_error(
                "The raw tables do not match the raw contract (contract/raw_schema.sql): "
                ~ problems | join('; ')
            ) -}}
        {%- endif -%}
        {{- log(
            "raw contract: " ~ raw_contract() | length ~ " tables and " ~ counts.columns
            ~ " columns present in schema " ~ schema, info=true
        ) -}}
    {%- endif -%}
{%- endmacro %}


{% macro raw_contract_type_name(landed) -%}
    {#- The engine's name of a landed column's type, as the contract (PostgreSQL) spells it. -#}
    {{- return(adapter.dispatch('raw_contract_type_name', 'flowpilot_metrics')(landed)) -}}
{%- endmacro %}


{% macro default__raw_contract_type_name(landed) -%}
    {{- return(landed) -}}
{%- endmacro %}


{% macro duckdb__raw_contract_type_name(landed) -%}
    {#- information_schema.columns on DuckDB: VARCHAR, DECIMAL(8,2), JSON, upper case. -#}
    {%- if landed is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set name = landed | lower -%}
    {%- set aliases = {'varchar': 'text', 'json': 'jsonb'} -%}
    {%- if name.startswith('decimal') -%}
        {{- return('numeric') -}}
    {%- endif -%}
    {{- return(aliases.get(name, name)) -}}
{%- endmacro %}


{% macro raw_landed_columns(schema) -%}
    {#- The columns landed in SCHEMA: {table: {column: the engine's type name}}. -#}
    {{- return(adapter.dispatch('raw_landed_columns', 'flowpilot_metrics')(schema)) -}}
{%- endmacro %}


{% macro default__raw_landed_columns(schema) -%}
    {%- set found_rows = run_query(
        "select cast(table_name as text) as table_name, "
        ~ "cast(column_name as text) as column_name, "
        ~ "cast(data_type as text) as data_type from information_schema.columns "
        ~ "where table_schema = '" ~ schema ~ "'"
    ) -%}
    {%- set found = {} -%}
    {%- for row in found_rows.rows -%}
        {%- do found.setdefault(row['table_name'], {}).update(
            {row['column_name']: row['data_type']}
        ) -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}


{% macro spark__raw_landed_columns(schema) -%}
    {#- Spark has no information_schema: the catalog's columns of each contracted table. -#}
    {%- set found = {} -%}
    {%- for table in raw_contract() -%}
        {%- set relation = adapter.get_relation(database=none, schema=schema, identifier=table) -%}
        {%- if relation is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do found.setdefault(table, {}).update({column.name: column.dtype | lower}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}


{% macro raw_contract_engine_type(data_type) -%}
    {#- The type a column of the contract's DATA_TYPE (PostgreSQL's name) lands as on this
        engine, in raw_contract_type_name's spelling. -#}
    {{- return(adapter.dispatch('raw_contract_engine_type', 'flowpilot_metrics')(data_type)) -}}
{%- endmacro %}


{% macro default__raw_contract_engine_type(data_type) -%}
    {{- return(data_type) -}}
{%- endmacro %}


{% macro spark__raw_contract_engine_type(data_type) -%}
    {#- Spark has no uuid, jsonb or time zones in types (flowpilot_tools/spark_load.py). -#}
    {{- return({
        'uuid': 'string',
        'text': 'string',
        'jsonb': 'string',
        'integer': 'int',
        'numeric': 'decimal(8,2)',
        'timestamp with time zone': 'timestamp',
    }.get(data_type, data_type)) -}}
{%- endmacro %}
