{% macro lookback_interval() -%}
    {{ interval_hours(var('lookback_hours', 3) | int) }}
{%- endmacro %}


{% macro incremental_watermark(column, relation=this) -%}
    {#- max(column) of relation less the lookback, as a timestamptz literal: read once when the
        model runs, so that the planner sees a constant (and its statistics pick the index).
        '-infinity' when relation is empty. Only meaningful in an incremental run. -#}
    {%- if not execute -%}
        {{- return("'-infinity'::timestamptz") -}}
    {%- endif -%}
    {%- set query -%}
        select coalesce(
            {{ utc_iso_text('max(' ~ column ~ ') - ' ~ lookback_interval()) }},
            '-infinity'
        )
        from {{ relation }}
    {%- endset -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {{- return("'" ~ value ~ "'::timestamptz") -}}
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
