{% test unique_combination(model, columns) %}
{#- The grain of a model: no two rows share the values of these columns. -#}
select
    {{ columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
