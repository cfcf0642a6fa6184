{#- The cohort columns of fct_psa_funnel form a true funnel on every row (METRICS.md section 4):
    total_sessions >= linked_to_ticket >= cohort_doc_pushed >= cohort_time_entry_logged >= 0.
    Returns the rows that break it. -#}
select
    account_id,
    period,
    total_sessions,
    linked_to_ticket,
    cohort_doc_pushed,
    cohort_time_entry_logged
from {{ ref('fct_psa_funnel') }}
where
    not (
        total_sessions >= linked_to_ticket
        and linked_to_ticket >= cohort_doc_pushed
        and cohort_doc_pushed >= cohort_time_entry_logged
        and cohort_time_entry_logged >= 0
    )
