{#- fct_psa_daily as every build saw it,
    one row per as_of date, account, period, entry_date. -#}
{{ history_of('fct_psa_daily') }}
