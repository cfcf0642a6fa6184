{#- fct_knowledge_coverage as every build saw it,
    one row per as_of date, account, period. -#}
{{ history_of('fct_knowledge_coverage') }}
