{#- fct_domain_coverage as every build saw it,
    one row per as_of date, account, period, problem_domain. -#}
{{ history_of('fct_domain_coverage') }}
