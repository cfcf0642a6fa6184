{#- The raw contract (contract/raw_schema.sql) as the build checks it. A raw table that is missing,
    or lacks a column, or has one of another type, fails the build before any model runs, with
    a message naming every such table and column (instead of a model failing later on "column
    does not exist"). Extra tables and columns are fine: replication may add them. Kept equal
    to the contract by flowpilot_tools/tests/test_hostile_input.py. -#}

{% macro raw_contract() -%}
    {#- table -> column -> data_type as information_schema.columns reports it. -#}
    {{- return({
        'accounts': {
            'id': 'uuid',
            'name': 'text',
            'timezone': 'text',
            'created_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'ai_session_steps': {
            'id': 'uuid',
            'session_id': 'uuid',
            'step_number': 'integer',
            'step_type': 'text',
            'content': 'text',
            'created_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'ai_sessions': {
            'id': 'uuid',
            'account_id': 'uuid',
            'user_id': 'uuid',
            'status': 'text',
            'problem_description': 'text',
            'problem_domain': 'text',
            'confidence_tier': 'text',
            'matched_flow_id': 'uuid',
            'psa_ticket_id': 'text',
            'step_count': 'integer',
            'session_rating': 'integer',
            'created_at': 'timestamp with time zone',
            'resolved_at': 'timestamp with time zone',
            'updated_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'flow_proposals': {
            'id': 'uuid',
            'account_id': 'uuid',
            'session_id': 'uuid',
            'status': 'text',
            'created_at': 'timestamp with time zone',
            'reviewed_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'psa_activity_logs': {
            'id': 'uuid',
            'account_id': 'uuid',
            'session_id': 'uuid',
            'activity_type': 'text',
            'hours_logged': 'numeric',
            'created_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'psa_post_logs': {
            'id': 'uuid',
            'ai_session_id': 'uuid',
            'psa_ticket_id': 'text',
            'status': 'text',
            'retry_count': 'integer',
            'error_message': 'text',
            'posted_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'session_handoffs': {
            'id': 'uuid',
            'session_id': 'uuid',
            'account_id': 'uuid',
            'requested_by_user_id': 'uuid',
            'claimed_by_user_id': 'uuid',
            'reason': 'text',
            'status': 'text',
            'created_at': 'timestamp with time zone',
            'claimed_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'tree_categories': {
            'id': 'uuid',
            'account_id': 'uuid',
            'name': 'text',
            '_loaded_at': 'timestamp with time zone',
        },
        'trees': {
            'id': 'uuid',
            'account_id': 'uuid',
            'name': 'text',
            'tree_type': 'text',
            'origin': 'text',
            'category_id': 'uuid',
            'is_active': 'boolean',
            'deleted_at': 'timestamp with time zone',
            'tree_structure': 'jsonb',
            'created_at': 'timestamp with time zone',
            'updated_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
        'users': {
            'id': 'uuid',
            'account_id': 'uuid',
            'email': 'text',
            'full_name': 'text',
            'role': 'text',
            'created_at': 'timestamp with time zone',
            '_loaded_at': 'timestamp with time zone',
        },
    }) -}}
{%- endmacro %}


{% macro check_raw_contract() -%}
    {#- on-run-start (after validate_vars, so raw_schema is a plain identifier). A text column
        landed as character varying is accepted; any other difference is an error. -#}
    {%- if execute -%}
        {%- set schema = var('raw_schema', 'raw') -%}
        {%- set found_rows = run_query(
            "select table_name::text as table_name, column_name::text as column_name, "
            ~ "data_type::text as data_type from information_schema.columns "
            ~ "where table_schema = '" ~ schema ~ "'"
        ) -%}
        {%- set found = {} -%}
        {%- for row in found_rows.rows -%}
            {%- do found.setdefault(row['table_name'], {}).update(
                {row['column_name']: row['data_type']}
            ) -%}
        {%- endfor -%}
        {%- set problems = [] -%}
        {%- set counts = namespace(columns=0) -%}
        {%- for table, columns in raw_contract().items() -%}
            {%- if table not in found -%}
                {%- do problems.append("table " ~ schema ~ "." ~ table ~ " is missing") -%}
            {%- else -%}
                {%- for column, data_type in columns.items() -%}
                    {%- set counts.columns = counts.columns + 1 -%}
                    {%- set landed = found[table].get(column) -%}
                    {%- if landed is none -%}
                        {%- do problems.append(
                            "column " ~ schema ~ "." ~ table ~ "." ~ column ~ " is missing"
                        ) -%}
                    {%- elif landed != data_type
                        and not (data_type == 'text' and landed == 'character varying') -%}
                        {%- do problems.append(
                            "column " ~ schema ~ "." ~ table ~ "." ~ column ~ " is " ~ landed
                            ~ ", the contract says " ~ data_type
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
