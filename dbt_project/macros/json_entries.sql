{#- JSON objects as rows and back: `json_entries(expr)` is a FROM-clause item yielding
    (key, value) for each top-level member; `json_object_agg(key, value)` rebuilds one, keys sorted so the output is deterministic. -#}
{% macro json_entries(expr) -%}
    {{ return(adapter.dispatch('json_entries', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__json_entries(expr) -%}
    json_each({{ expr }})
{%- endmacro %}

{% macro json_object_agg(key, value) -%}
    {{ return(adapter.dispatch('json_object_agg', 'spoor')(key, value)) }}
{%- endmacro %}
{% macro default__json_object_agg(key, value) -%}
    json_object_agg({{ key }}, {{ value }} order by {{ key }})
{%- endmacro %}
{% macro duckdb__json_object_agg(key, value) -%}
    to_json(map(list({{ key }} order by {{ key }}), list({{ value }} order by {{ key }})))
{%- endmacro %}

{#- A text value as a JSON string value. -#}
{% macro to_json_text(expr) -%}
    {{ return(adapter.dispatch('to_json_text', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__to_json_text(expr) -%}
    to_json({{ expr }})
{%- endmacro %}
