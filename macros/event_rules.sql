{#- The per-event rules of METRICS.md section 4 that the fact marts (models/marts/facts) apply
    to one row each: status flags, the account-local day. Written once here and called by both
    paths: the fact marts and the windowed intermediates the period marts aggregate
    (DECISIONLOG 19). -#}

{% macro is_resolved_status(status) -%}
    coalesce({{ status }} = 'resolved', false)
{%- endmacro %}


{% macro is_escalated_status(status) -%}
    coalesce({{ status }} in ('escalated', 'requesting_escalation'), false)
{%- endmacro %}


{% macro is_abandoned_status(status) -%}
    coalesce({{ status }} = 'abandoned', false)
{%- endmacro %}


{% macro is_guided_tier(confidence_tier) -%}
    coalesce({{ confidence_tier }} = 'guided', false)
{%- endmacro %}


{% macro is_unclaimed_handoff(claimed_at, status) -%}
    {#- In the backlog: nobody has claimed it (by as_of) and it was not cancelled. -#}
    coalesce({{ claimed_at }} is null and {{ status }} is distinct from 'cancelled', false)
{%- endmacro %}


{% macro is_successful_push(status) -%}
    coalesce({{ status }} = 'success', false)
{%- endmacro %}


{% macro is_retry_successful_push(status, retry_count) -%}
    coalesce({{ status }} = 'success' and {{ retry_count }} > 0, false)
{%- endmacro %}


{% macro is_time_entry(activity_type) -%}
    coalesce({{ activity_type }} = 'time_entry_posted', false)
{%- endmacro %}


{% macro local_date(instant, timezone) -%}
    {#- METRICS.md section 2: a day is the calendar date of an instant in the account's zone. -#}
    {{- return(adapter.dispatch('local_date', 'flowpilot_metrics')(instant, timezone)) -}}
{%- endmacro %}


{% macro default__local_date(instant, timezone) -%}
    ({{ instant }} at time zone {{ timezone }})::date
{%- endmacro %}


{% macro spark__local_date(instant, timezone) -%}
    {#- The session zone is UTC (profiles.yml): from_utc_timestamp gives the wall time in the
        zone, named as Java knows it (spark_zone_aliases). -#}
    to_date(from_utc_timestamp(
        {{ instant }},
        case {{ timezone }}
            {%- for pinned, java in spark_zone_aliases().items() %}
            when '{{ pinned }}' then '{{ java }}'
            {%- endfor %}
            else {{ timezone }}
        end
    ))
{%- endmacro %}


{% macro spark_zone_aliases() -%}
    {#- Names of the pinned zone list that Java knows by another: ROC (Asia/Taipei's rules on
        PostgreSQL too) and Factory (UTC, offset 0). -#}
    {{- return({'ROC': 'Asia/Taipei', 'Factory': 'UTC'}) -}}
{%- endmacro %}


{% macro values_differ(left, right, relative_tolerance=0) -%}
    {#- Predicate for comparing two ways to compute one number: true when exactly one side is
        null, or both are set and differ by more than relative_tolerance of the larger
        magnitude (0: any difference). For means summed in another order. -#}
    {%- if relative_tolerance == 0 -%}
        ({{ left }}) is distinct from ({{ right }})
    {%- else -%}
        (
            (({{ left }}) is null) != (({{ right }}) is null)
            or abs(({{ left }}) - ({{ right }}))
            > {{ relative_tolerance }} * greatest(abs({{ left }}), abs({{ right }}), 1)
        )
    {%- endif -%}
{%- endmacro %}
