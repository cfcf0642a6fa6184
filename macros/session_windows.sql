{#- The session measures of the period marts as partial aggregates that combine by addition
    (DECISIONLOG 19): counts, and exact numeric sums with the count of their values for every
    mean. int_session_days_aggregated keeps them per account and UTC day; int_sessions_windowed
    adds the days inside each window and reads the rest exactly. Each row carries a sign: +1
    adds a session, -1 takes back what a day aggregate holds for it. -#}

{% macro session_measure_columns(timezone) -%}
    {#- Per session: the flags and values the measures read. Expects the columns of
        stg_flowpilot__ai_sessions (resolved_at as of the instant wanted) and
        first_successful_push_at, first_time_entry_at (null when none by that instant). -#}
    problem_domain,
    confidence_tier,
    matched_flow_id,
    is_linked_to_ticket,
    step_count,
    session_rating,
    created_at,
    coalesce(status = 'resolved', false) as is_resolved,
    coalesce(status in ('escalated', 'requesting_escalation'), false) as is_escalated,
    coalesce(status = 'abandoned', false) as is_abandoned,
    coalesce(confidence_tier = 'guided', false) as is_guided,
    {{ duration_seconds('created_at', 'resolved_at') }} as duration_seconds,
    case
        when status = 'resolved' and resolved_at is not null
            then (resolved_at at time zone {{ timezone }})::date
    end as resolved_date,
    is_linked_to_ticket and first_successful_push_at is not null as is_doc_pushed,
    is_linked_to_ticket
    and first_successful_push_at is not null
    and first_time_entry_at is not null as is_time_entry_logged
{%- endmacro %}


{% macro session_measure_grouping_sets(keys) -%}
    {#- The keys of the marts: the account (session metrics, PSA funnel), the confidence tier,
        the problem domain, the matched flow and the day of resolved_at (MTTR trend). -#}
    grouping sets (
        ({{ keys }}),
        ({{ keys }}, confidence_tier),
        ({{ keys }}, problem_domain),
        ({{ keys }}, matched_flow_id),
        ({{ keys }}, resolved_date)
    )
{%- endmacro %}


{% macro session_measure_grouping_set() -%}
    {#- Which of the grouping sets a row belongs to. -#}
    case grouping(confidence_tier, problem_domain, matched_flow_id, resolved_date)
        when 15 then 'account'
        when 7 then 'confidence_tier'
        when 11 then 'problem_domain'
        when 13 then 'matched_flow_id'
        when 14 then 'resolved_date'
    end
{%- endmacro %}


{% macro session_measure_aggregates() -%}
    {#- Aggregate: the additive measures of the session rows of a group, each weighted by sign. -#}
    sum(sign) as session_count,
    coalesce(sum(sign) filter (where is_resolved), 0) as resolved_count,
    coalesce(sum(sign) filter (where is_escalated), 0) as escalated_count,
    coalesce(sum(sign) filter (where is_abandoned), 0) as abandoned_count,
    coalesce(sum(sign) filter (where is_guided), 0) as guided_count,
    coalesce(sum(sign) filter (where problem_domain is null), 0) as unmapped_count,
    coalesce(sum(sign) filter (where is_linked_to_ticket), 0) as linked_count,
    coalesce(sum(sign) filter (where is_doc_pushed), 0) as doc_pushed_count,
    coalesce(sum(sign) filter (where is_time_entry_logged), 0) as time_entry_logged_count,
    coalesce(sum(sign * step_count::numeric) filter (where is_resolved), 0)
        as resolved_step_sum,
    coalesce(sum(sign) filter (where is_resolved and step_count is not null), 0)
        as resolved_step_n,
    coalesce(sum(sign * duration_seconds::numeric), 0) as duration_sum,
    coalesce(sum(sign) filter (where duration_seconds is not null), 0) as duration_n,
    coalesce(sum(sign * duration_seconds::numeric) filter (where is_resolved), 0)
        as resolved_duration_sum,
    coalesce(sum(sign) filter (where is_resolved and duration_seconds is not null), 0)
        as resolved_duration_n,
    coalesce(sum(sign * session_rating::numeric), 0) as rating_sum,
    coalesce(sum(sign) filter (where session_rating is not null), 0) as rating_n,
    max(created_at) filter (where sign > 0) as last_created_at
{%- endmacro %}


{% macro session_measure_sums() -%}
    {#- Aggregate: partial aggregates added up (max for the latest created_at). -#}
    sum(session_count)::bigint as session_count,
    sum(resolved_count)::bigint as resolved_count,
    sum(escalated_count)::bigint as escalated_count,
    sum(abandoned_count)::bigint as abandoned_count,
    sum(guided_count)::bigint as guided_count,
    sum(unmapped_count)::bigint as unmapped_count,
    sum(linked_count)::bigint as linked_count,
    sum(doc_pushed_count)::bigint as doc_pushed_count,
    sum(time_entry_logged_count)::bigint as time_entry_logged_count,
    sum(resolved_step_sum) as resolved_step_sum,
    sum(resolved_step_n)::bigint as resolved_step_n,
    sum(duration_sum) as duration_sum,
    sum(duration_n)::bigint as duration_n,
    sum(resolved_duration_sum) as resolved_duration_sum,
    sum(resolved_duration_n)::bigint as resolved_duration_n,
    sum(rating_sum) as rating_sum,
    sum(rating_n)::bigint as rating_n,
    max(last_created_at) as last_created_at
{%- endmacro %}


{% macro mean_of_sums(total, n) -%}
    {#- The exact mean from a numeric sum and its count, as double precision; null when n is 0.
        Like exact_mean, it does not depend on the order in which the parts were added. -#}
    cast(({{ total }}) / nullif({{ n }}, 0) as double precision)
{%- endmacro %}
