with

accounts as (
    select
        account_id,
        account_name,
        timezone,
        is_known_account
    from {{ ref('int_accounts_unioned') }}
),

final as (
    select
        account_id,
        account_name,
        timezone,
        is_known_account
    from accounts
)

select * from final
