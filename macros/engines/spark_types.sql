{#- The contracts (models' YAML) and the unit tests' fixtures name PostgreSQL's types; dbt casts
    null to each of them to check a contract (dbt.cast) and casts fixture values
    (dbt.safe_cast). On Spark, these root-project versions of dbt's spark__ macros cast to
    Spark's name of the same type: one YAML for every engine. -#}

{% macro spark_type_name(data_type) -%}
    {%- set spark_names = {
        'double precision': 'double',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
        'text': 'string',
        'uuid': 'string',
    } -%}
    {{- return(spark_names.get(data_type | trim | lower, data_type)) -}}
{%- endmacro %}


{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}


{% macro spark__safe_cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}
