{#- One row per account and period: time from an escalation's claim to the first in-product
    action (METRICS.md section 4), and the backlog of handoffs nobody has claimed. One pass over
    the handoffs: each is joined to its own account's windows, flagged claimed-in-window or
    unclaimed-in-window, and aggregated. -#}
with

account_periods as (
    select
        account_id,
        period,
        period_start,
        as_of
    from {{ ref('int_account_periods_spined') }}
),

handoffs as (
    select
        account_id,
        created_at,
        claimed_at,
        first_action_at,
        seconds_to_first_action,
        is_unclaimed,
        unclaimed_age_seconds
    from {{ ref('fct_escalation_handoffs') }}
),

handoff_windows as (
    select
        account_periods.account_id,
        account_periods.period,
        handoffs.first_action_at,
        handoffs.seconds_to_first_action,
        coalesce({{ in_period_window('handoffs.claimed_at') }}, false) as is_claimed_in_window,
        handoffs.is_unclaimed
        and {{ in_period_window('handoffs.created_at') }} as is_unclaimed_in_window,
        handoffs.unclaimed_age_seconds
    from handoffs
    inner join account_periods
        on
            handoffs.account_id = account_periods.account_id
            -- necessary for either flag (windows end at as_of): drops most 7d pairs early
            and (
                handoffs.claimed_at >= account_periods.period_start
                or handoffs.created_at >= account_periods.period_start
            )
),

window_values as (
    select
        account_id,
        period,
        is_claimed_in_window,
        is_unclaimed_in_window,
        case when is_claimed_in_window then first_action_at end as first_action_at,
        case when is_claimed_in_window then seconds_to_first_action end as seconds_to_first_action,
        case when is_unclaimed_in_window then unclaimed_age_seconds end as unclaimed_age_seconds
    from handoff_windows
    where is_claimed_in_window or is_unclaimed_in_window
),

window_metrics as (
    select
        account_id,
        period,
        count(*) filter (where is_claimed_in_window) as n_handoffs_claimed,
        count(first_action_at) as n_handoffs_with_action,
        {{ exact_mean('seconds_to_first_action') }} as avg_seconds_to_first_action,
        {{ median_value('seconds_to_first_action') }} as median_seconds_to_first_action,
        {{ percentile_value('seconds_to_first_action', '0.95') }} as p95_seconds_to_first_action,
        count(*) filter (where is_unclaimed_in_window) as n_handoffs_unclaimed,
        {{ percentile_value('unclaimed_age_seconds', '0.95') }} as p95_seconds_unclaimed_age
    from window_values
    group by account_id, period
),

final as (
    select
        account_periods.account_id,
        account_periods.period,
        account_periods.period_start,
        account_periods.as_of,
        coalesce(window_metrics.n_handoffs_claimed, 0) as n_handoffs_claimed,
        coalesce(window_metrics.n_handoffs_with_action, 0) as n_handoffs_with_action,
        window_metrics.avg_seconds_to_first_action,
        window_metrics.median_seconds_to_first_action,
        window_metrics.p95_seconds_to_first_action,
        {{ column_meta_text('fct_escalation_metrics', 'metric_definition', 'text') }}
            as metric_definition,
        coalesce(window_metrics.n_handoffs_unclaimed, 0) as n_handoffs_unclaimed,
        window_metrics.p95_seconds_unclaimed_age
    from account_periods
    left join window_metrics
        on
            account_periods.account_id = window_metrics.account_id
            and account_periods.period = window_metrics.period
)

select * from final
