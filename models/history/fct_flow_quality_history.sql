{#- fct_flow_quality as every build saw it,
    one row per as_of date, account, period, flow_id. -#}
{{ history_of('fct_flow_quality') }}
