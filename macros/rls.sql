{% macro secure_for_readers() -%}
    {{- return(adapter.dispatch('secure_for_readers', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__secure_for_readers() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
{%- endmacro %}


{% macro postgres__secure_for_readers() -%}
    {#- post-hook of every mart and history table, inside the model's transaction (before
        COMMIT, so the new version is never visible without its grants and policies):
        SELECT for both reader roles and row-level security. The BI reader sees every row;
        the tenant reader sees the rows whose account_id equals the session setting
        flowpilot.account_id, and nothing when it is unset or empty. The table's owner (the
        dbt user) is not subject to the policies. -#}
    {%- set roles = reader_roles() -%}
    {%- if model.config.materialized not in ('table', 'incremental') -%}
        {{- exceptions.raise_compiler_error(
            model.name ~ " is materialized as " ~ model.config.materialized ~ "; readers may "
            ~ "only be granted tables, where row-level security applies"
        ) -}}
    {%- endif -%}
    {%- if execute and 'account_id' not in model.columns -%}
        {{- exceptions.raise_compiler_error(
            model.name ~ " has no documented column account_id: row-level security for "
            ~ roles.tenant ~ " filters on it"
        ) -}}
    {%- endif %}
grant select on {{ this }} to {{ roles.bi }}, {{ roles.tenant }};
alter table {{ this }} enable row level security;
drop policy if exists bi_reader_sees_every_row on {{ this }};
create policy bi_reader_sees_every_row on {{ this }}
    as permissive for select to {{ roles.bi }}
    using (true);
drop policy if exists tenant_reader_sees_own_account on {{ this }};
create policy tenant_reader_sees_own_account on {{ this }}
    as permissive for select to {{ roles.tenant }}
    using (account_id = nullif(current_setting('flowpilot.account_id', true), '')::uuid);
{%- endmacro %}
