{#- The two vars of the analyses (analyses/*_endpoint.sql), validated like the models' vars:
    a bad value raises a compilation error naming the var, and only a validated value reaches
    the SQL text. -#}

{% macro analysis_account_id(default=none) -%}
    {#- The var account_id as a lower-case UUID string; default when unset (may be none). -#}
    {%- set value = var('account_id', default) -%}
    {%- if value is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set text = value | string | trim | lower -%}
    {%- set pattern = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' -%}
    {%- if not modules.re.match(pattern, text) -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'account_id' is not a UUID: '" ~ value ~ "'"
        ) -}}
    {%- endif -%}
    {{- return(text) -}}
{%- endmacro %}


{% macro analysis_period(default='30d') -%}
    {#- The var period, one of the periods of the seed periods when the project is built
        (before that, e.g. when sqlfluff compiles the analyses, only the form is checked). -#}
    {%- set text = var('period', default) | string | trim -%}
    {%- if not modules.re.match('^[0-9]{1,4}d$', text) -%}
        {{- exceptions.raise_compiler_error(
            "dbt var 'period' is not a period such as 30d: '" ~ text ~ "'"
        ) -}}
    {%- endif -%}
    {%- set periods = ref('periods') -%}
    {%- if execute and adapter.get_relation(periods.database, periods.schema,
                                           periods.identifier) is not none -%}
        {%- set known = run_query('select period from ' ~ periods).columns[0].values() -%}
        {%- if text not in known -%}
            {{- exceptions.raise_compiler_error(
                "dbt var 'period' must be one of " ~ (known | join(', ')) ~ " (seed periods): '"
                ~ text ~ "'"
            ) -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(text) -}}
{%- endmacro %}


{% macro request_join(alias) -%}
    {#- The join of a mart (alias) to the analysis's request CTE: one indexed read
        `where account_id = ? and period = ?`. Written for a join at the CTE's top level. -#}
    inner join request
        on
            {{ alias }}.account_id = request.account_id
            and {{ alias }}.period = request.period
{%- endmacro %}
