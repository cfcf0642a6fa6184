{#- Every live flow (active and not deleted at as_of) with the problem domain its category
    matches and the latest session of its own account ever matched to it: the flow side of
    fct_domain_coverage and fct_flow_quality, defined once. -#}
with

flows as (
    select
        flow_id,
        account_id,
        flow_name,
        tree_type,
        category_id
    from {{ ref('int_flows_as_of') }}
    where is_live
),

categories as (
    select
        category_id,
        category_domain
    from {{ ref('stg_flowpilot__tree_categories') }}
),

matched_sessions as (
    select
        account_id,
        matched_flow_id,
        created_at
    from {{ ref('int_sessions_as_of') }}
    where matched_flow_id is not null
),

last_matches as (
    select
        account_id,
        matched_flow_id,
        max(created_at) as last_ever_matched_at
    from matched_sessions
    group by account_id, matched_flow_id
),

final as (
    select
        flows.flow_id,
        flows.account_id,
        flows.flow_name,
        flows.tree_type,
        flows.category_id,
        categories.category_domain,
        last_matches.last_ever_matched_at
    from flows
    left join categories
        on flows.category_id = categories.category_id
    left join last_matches
        on
            flows.flow_id = last_matches.matched_flow_id
            and flows.account_id = last_matches.account_id
)

select * from final
