{#- Write-audit-publish inside one transaction.

    dbt's table materialization builds <name>__dbt_tmp, renames the old table away and the new
    one to <name>, runs the post-hooks and COMMITs: readers see the old or the new version. But
    `dbt build` runs a model's own data tests after that COMMIT, so a mart whose own test fails
    would already be replaced. audit_before_swap, a post-hook of the marts, runs the model's
    error-level data tests (and the volume guard, volume_guard_failures) inside the
    transaction, against the new version, before the COMMIT;
    a failure raises, the transaction rolls back, and the previous version stays in place
    (with its grants and policies). The model is reported as an error, its dependants are
    skipped, and `dbt build` then runs the same tests as usual.

    Which tests: enabled, severity error, depending on this model and otherwise only on its
    ancestors (already built in this run, e.g. relationships to dim_accounts); generic tests
    are called through their macro, singular tests rendered from their code. A test that also
    reads a model built beside this one (e.g. a sum of two sibling marts) cannot be judged
    before both are built: it runs after, as usual. -#}

{% macro audit_before_swap() -%}
    {{- return(adapter.dispatch('audit_before_swap', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__audit_before_swap() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
{%- endmacro %}


{% macro postgres__audit_before_swap() -%}
    {%- if execute -%}
        {%- set failures = volume_guard_failures() -%}
        {%- set tests = audit_tests(model.unique_id) -%}
        {%- for test in tests -%}
            {%- set test_sql = audit_test_sql(test) -%}
            {%- set outcome = run_query(get_test_sql(
                test_sql, test.config.fail_calc, test.config.warn_if, test.config.error_if, none
            )) -%}
            {%- if outcome.rows | length > 0 and outcome.rows[0]['should_error'] -%}
                {%- do failures.append(
                    test.name ~ ' (' ~ outcome.rows[0]['failures'] ~ ' failing rows)'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if failures -%}
            {{- exceptions.raise_compiler_error(
                "audit before swap: " ~ model.name ~ " was not replaced, the previous version "
                ~ "stays; failing: " ~ failures | join('; ')
            ) -}}
        {%- endif -%}
        {%- do record_audited_tests(tests) -%}
        {{- log("audit before swap: " ~ model.name ~ " passed", info=false) -}}
    {%- endif -%}
{%- endmacro %}


{% macro volume_guard_failures() -%}
    {#- The volume guard of audit_before_swap: compares the new version of the mart with the
        previous one (dbt's __dbt_backup, still there inside the transaction) on its row count
        and on the sums listed in the model's meta.volume_measures (e.g. sum(total_sessions):
        a mart with a row per account and period keeps its row count when its inputs are
        emptied, its sums do not). A measure that was positive and is now 0, or that fell by
        more than the var volume_shrink_limit (a fraction, default 0.5), is a failure, unless
        the var volume_shrink_expected is true or lists this model. No previous version (the
        first build): nothing to compare. -#}
    {%- set failures = [] -%}
    {%- set expected = var('volume_shrink_expected') -%}
    {%- if expected is sameas true or (expected is iterable and expected is not string
        and model.name in expected) -%}
        {{- log("volume guard: " ~ model.name ~ " may shrink in this run (var "
            ~ "volume_shrink_expected)", info=true) -}}
        {{- return(failures) -}}
    {%- endif -%}
    {%- set previous = make_backup_relation(this, 'table').include(database=false) -%}
    {%- set found = run_query("select to_regclass('" ~ previous ~ "') is not null").columns[0] -%}
    {%- if not found.values()[0] -%}
        {{- return(failures) -}}
    {%- endif -%}
    {%- set measures = ['count(*)'] + (model.config.meta or {}).get('volume_measures', []) -%}
    {%- set limit = var('volume_shrink_limit') | float -%}
    {%- set query -%}
        select
        {%- for measure in measures %}
            (select coalesce({{ measure }}, 0) from {{ previous }})::numeric as before_{{ loop.index }},
            (select coalesce({{ measure }}, 0) from {{ this }})::numeric as after_{{ loop.index }}
            {{- "," if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- for measure in measures -%}
        {%- set before = row['before_' ~ loop.index] | float -%}
        {%- set after = row['after_' ~ loop.index] | float -%}
        {%- if before > 0 and (after <= 0 or after < before * (1 - limit)) -%}
            {%- do failures.append(
                "volume guard: " ~ measure ~ " fell from " ~ before ~ " to " ~ after
                ~ " (more than volume_shrink_limit " ~ limit ~ "; if expected, rerun with "
                ~ "--vars '{volume_shrink_expected: [" ~ model.name ~ "]}')"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(failures) -}}
{%- endmacro %}


{% macro audit_tests(model_id) -%}
    {#- The error-level tests of model_id that can judge it before its COMMIT. -#}
    {%- set tests = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'test'
        and model_id in node.depends_on.nodes
        and node.config.enabled
        and (node.config.severity | lower) == 'error' -%}
        {%- set judged = namespace(ok=true) -%}
        {%- for other in node.depends_on.nodes if other != model_id -%}
            {%- if not is_ancestor(other, model_id) -%}
                {%- set judged.ok = false -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if judged.ok -%}
            {%- do tests.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(tests | sort(attribute='unique_id')) -}}
{%- endmacro %}


{% macro is_ancestor(candidate_id, node_id, depth=0) -%}
    {%- set node = graph.nodes.get(node_id) -%}
    {%- if node is none or depth > 40 -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- for parent in node.depends_on.nodes -%}
        {%- if parent == candidate_id or is_ancestor(candidate_id, parent, depth + 1) -%}
            {{- return(true) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(false) -}}
{%- endmacro %}


{% macro audit_test_sql(test) -%}
    {#- The SQL of a test (the rows that fail it), pointed at this model's new version. -#}
    {%- set tested = this -%}
    {%- if test.config.where -%}
        {%- set tested = '(select * from ' ~ this ~ ' where ' ~ test.config.where
            ~ ') as dbt_subquery' -%}
    {%- endif -%}
    {%- if test.test_metadata -%}
        {%- set macros = context if not test.test_metadata.namespace
            else context[test.test_metadata.namespace] -%}
        {%- set test_macro = macros.get('test_' ~ test.test_metadata.name) -%}
        {%- if test_macro is none -%}
            {{- exceptions.raise_compiler_error(
                "audit before swap: no macro for generic test " ~ test.test_metadata.name
            ) -}}
        {%- endif -%}
        {%- set arguments = {} -%}
        {%- for key, value in test.test_metadata.kwargs.items() if key != 'model' -%}
            {%- do arguments.update({key: audit_relation_names(value)}) -%}
        {%- endfor -%}
        {{- return(test_macro(model=tested, **arguments)) -}}
    {%- else -%}
        {{- return(render(audit_relation_names(test.raw_code))) -}}
    {%- endif -%}
{%- endmacro %}


{% macro audit_relation_names(value) -%}
    {#- Replaces ref('x') with the relation's name: a generic-test argument such as
        to: ref('dim_accounts') becomes the name itself, a ref inside {{ }} of a singular test
        a string literal of it. The model's own ref names its new version. -#}
    {%- if value is not string -%}
        {{- return(value) -}}
    {%- endif -%}
    {%- set pattern = "ref\\(\\s*['\"]([A-Za-z0-9_]+)['\"]\\s*\\)" -%}
    {%- set result = namespace(text=value) -%}
    {%- for name in modules.re.findall(pattern, value) | unique -%}
        {%- set relation_name = audit_relation_name(name) -%}
        {%- if modules.re.fullmatch("\\s*" ~ pattern ~ "\\s*", value) -%}
            {{- return(relation_name) -}}
        {%- endif -%}
        {%- set result.text = modules.re.sub(
            "ref\\(\\s*['\"]" ~ name ~ "['\"]\\s*\\)", "'" ~ relation_name ~ "'", result.text
        ) -%}
    {%- endfor -%}
    {{- return(result.text) -}}
{%- endmacro %}


{% macro audit_relation_name(name) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ('model', 'seed', 'snapshot') and node.name == name -%}
        {{- return(node.relation_name) -}}
    {%- endfor -%}
    {{- exceptions.raise_compiler_error("audit before swap: no model named " ~ name) -}}
{%- endmacro %}


{#- Each test once. In `dbt build` a mart's tests run again after the model, against the same
    version the audit just judged. The audit writes the tests it passed into a ledger, in the
    swap's own transaction (a refused swap leaves no row); the test query of such a test then
    reads no row: the planner evaluates the ledger look-up once, before the test's own SQL,
    and skips that SQL (a PASS the audit earned). -#}

{% macro audit_ledger() -%}
    {{- return(target.schema ~ '_ops.audited_tests') -}}
{%- endmacro %}


{% macro create_audit_ledger() -%}
    {{- return(adapter.dispatch('create_audit_ledger', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__create_audit_ledger() -%}
    {#- PostgreSQL only (macros/engines/postgres_only.sql). -#}
    select 1 as audit_ledger_not_needed
{%- endmacro %}


{% macro postgres__create_audit_ledger() -%}
    {#- on-run-start of the commands that build: the ledger, and old entries out. -#}
    {%- if execute and flags.WHICH in ('build', 'run', 'retry') %}
create schema if not exists {{ target.schema }}_ops;
create table if not exists {{ audit_ledger() }} (
    invocation_id text not null,
    test_id text not null,
    audited_at timestamptz not null default now()
);
delete from {{ audit_ledger() }} where audited_at < now() - interval '7 days';
    {%- else -%}
select 1 as audit_ledger_not_needed
    {%- endif -%}
{%- endmacro %}


{% macro record_audited_tests(tests) -%}
    {%- if tests and flags.WHICH in ('build', 'retry') -%}
        {%- set rows = [] -%}
        {%- for test in tests -%}
            {%- do rows.append("('" ~ invocation_id ~ "', '" ~ test.unique_id ~ "')") -%}
        {%- endfor -%}
        {%- do run_query(
            'insert into ' ~ audit_ledger() ~ ' (invocation_id, test_id) values '
            ~ rows | join(', ')
        ) -%}
    {%- endif -%}
{%- endmacro %}


{% macro postgres__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {#- dbt's test query; in build and retry, one that reads no row for a test the audit
        already passed in this invocation (the ledger above). -#}
    {{ dbt.default__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) }}
    {%- if model.resource_type == 'test' and flags.WHICH in ('build', 'retry') %}
    where not exists (
        select from {{ audit_ledger() }}
        where invocation_id = '{{ invocation_id }}' and test_id = '{{ model.unique_id }}'
    )
    {%- endif -%}
{%- endmacro %}
