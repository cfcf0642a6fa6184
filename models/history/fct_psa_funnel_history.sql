{#- fct_psa_funnel as every build saw it,
    one row per as_of date, account, period. -#}
{{ history_of('fct_psa_funnel') }}
