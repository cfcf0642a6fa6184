{% macro lookback_interval() -%}
    {{ interval_hours(var('lookback_hours', 3) | int) }}
{%- endmacro %}


{% macro incremental_watermark(column, relation=this) -%}
    {#- max(column) of relation less the lookback, as a timestamptz literal: read once when the
        model runs, so that the planner sees a constant (and its statistics pick the index).
        '-infinity' when relation is empty. Only meaningful in an incremental run. -#}
    {%- if not execute -%}
        {{- return(instant_literal(none)) -}}
    {%- endif -%}
    {%- set query -%}
        select coalesce(
            {{ utc_iso_text('max(' ~ column ~ ') - ' ~ lookback_interval()) }},
            '{{ instant_before_all_text() }}'
        )
        from {{ relation }}
    {%- endset -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {{- return(instant_literal(value)) -}}
{%- endmacro %}


{% macro loaded_since_last_run(loaded_at='_loaded_at') -%}
    {#- In an incremental run: a predicate keeping the rows landed since the newest _loaded_at
        already in this model, less the lookback for rows that land late. Otherwise: true. -#}
    {%- if is_incremental() -%}
        {{ loaded_at }} > {{ incremental_watermark('_loaded_at') }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro incremental_or_table() -%}
    {#- The materialization of the models kept with delete+insert (four staging models and
        int_handoffs_first_step_found): incremental where the engine has delete+insert;
        rebuilt whole (table) on Spark, where without Delta Lake only append and
        insert_overwrite exist (README, "Other engines"). -#}
    {{- return(adapter.dispatch('incremental_or_table', 'flowpilot_metrics')()) -}}
{%- endmacro %}


{% macro default__incremental_or_table() -%}
    {{- return('incremental') -}}
{%- endmacro %}


{% macro spark__incremental_or_table() -%}
    {{- return('table') -}}
{%- endmacro %}
