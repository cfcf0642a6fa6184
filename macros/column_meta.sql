{% macro column_meta_text(model_name, column_name, key) -%}
    {#- A constant column's text, written once in the column's YAML meta (key), as a SQL string
        literal: the model's rows carry it for BI, the docs show it from the same place. Read
        from the graph when the model runs; a unit test's graph holds no nodes, and the empty
        text it then gets is never an expected value of one. -#}
    {%- set nodes = graph.get('nodes', {}) if execute else {} -%}
    {%- set node = nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{- return("''") -}}
    {%- endif -%}
    {%- set text = node.columns[column_name].meta[key] | trim -%}
    {{- return("'" ~ text | replace("'", "''") ~ "'") -}}
{%- endmacro %}
