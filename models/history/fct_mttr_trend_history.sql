{#- fct_mttr_trend as every build saw it,
    one row per as_of date, account, period, resolved_date. -#}
{{ history_of('fct_mttr_trend') }}
