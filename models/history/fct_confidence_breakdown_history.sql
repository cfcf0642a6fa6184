{#- fct_confidence_breakdown as every build saw it,
    one row per as_of date, account, period, confidence_tier. -#}
{{ history_of('fct_confidence_breakdown') }}
