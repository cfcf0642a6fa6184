{% test in_step_with_raw(model, source_relation, key) %}
{#- An incremental staging model holds, for every id of its raw table, the latest raw version
    (by _loaded_at), and nothing else. Raw versions newer than the model's watermark (its newest
    _loaded_at less the lookback) are not yet due: the next run reads them. Each failing row is
    one id and what is wrong with it; they are stored, and dbt's failure message names the
    relation to read them from. -#}
{{ config(store_failures=true) }}
with

watermark as (
    select coalesce(max(_loaded_at) - {{ lookback_interval() }}, 'infinity') as settled_at
    from {{ model }}
),

latest_raw as (
    select
        id,
        max(_loaded_at) as _loaded_at
    from {{ source_relation }}
    group by id
),

compared as (
    select
        coalesce(latest_raw.id, modelled.{{ key }}) as id,
        latest_raw._loaded_at as raw_loaded_at,
        modelled._loaded_at as model_loaded_at
    from latest_raw
    full outer join {{ model }} as modelled
        on latest_raw.id = modelled.{{ key }}
    where latest_raw._loaded_at is distinct from modelled._loaded_at
)

select
    compared.id,
    compared.raw_loaded_at,
    compared.model_loaded_at,
    case
        when compared.raw_loaded_at is null
            then 'gone from raw: raw was reloaded or rows were deleted'
        when compared.model_loaded_at is null
            then 'missing: landed with a _loaded_at older than the lookback'
        when compared.model_loaded_at < compared.raw_loaded_at
            then 'outdated: a newer version landed with a _loaded_at older than the lookback'
        else 'newer than raw: the latest version was deleted from raw'
    end as problem
from compared
cross join watermark
where
    compared.raw_loaded_at is null
    or compared.raw_loaded_at <= watermark.settled_at
{% endtest %}
