with

known_accounts as (
    select
        account_id,
        account_name,
        timezone
    from {{ ref('int_accounts_as_of') }}
),

referenced_accounts as (
    select account_id from {{ ref('int_sessions_as_of') }}
    union
    select account_id from {{ ref('int_handoffs_as_of') }}
    union
    select account_id from {{ ref('int_flows_as_of') }}
    union
    select account_id from {{ ref('int_flow_proposals_as_of') }}
    union
    select account_id from {{ ref('int_psa_activities_as_of') }}
),

all_accounts as (
    select account_id from known_accounts
    union
    select account_id from referenced_accounts
),

final as (
    select
        all_accounts.account_id,
        known_accounts.account_name,
        coalesce(known_accounts.timezone, 'UTC') as timezone,
        known_accounts.account_id is not null as is_known_account
    from all_accounts
    left join known_accounts
        on all_accounts.account_id = known_accounts.account_id
)

select * from final
