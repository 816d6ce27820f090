{#- Small engine-specific building blocks. Each dispatches, so adding a warehouse means
    adding `<adapter>__` versions here, not editing models. -#}

{#- Text value at a dotted path inside a JSON column (`page.url`; '' = the value itself). -#}
{% macro json_text(expr, path) -%}
    {{ return(adapter.dispatch('json_text', 'spoor')(expr, path)) }}
{%- endmacro %}
{% macro default__json_text(expr, path) -%}
    json_value({{ expr }}, '{{ ("$." ~ path) if path else "$" }}')
{%- endmacro %}
{% macro duckdb__json_text(expr, path) -%}
    json_extract_string({{ expr }}, '{{ ("$." ~ path) if path else "$" }}')
{%- endmacro %}

{#- JSON sub-object at a dotted path, kept as JSON. -#}
{% macro json_object(expr, path) -%}
    {{ return(adapter.dispatch('json_object', 'spoor')(expr, path)) }}
{%- endmacro %}
{% macro default__json_object(expr, path) -%}
    json_query({{ expr }}, '$.{{ path }}')
{%- endmacro %}
{% macro duckdb__json_object(expr, path) -%}
    json_extract({{ expr }}, '$.{{ path }}')
{%- endmacro %}

{#- Seconds from `start_expr` to `end_expr`, fractional. -#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'spoor')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro default__seconds_between(start_expr, end_expr) -%}
    extract(epoch from ({{ end_expr }} - {{ start_expr }}))
{%- endmacro %}
{% macro duckdb__seconds_between(start_expr, end_expr) -%}
    (epoch({{ end_expr }}) - epoch({{ start_expr }}))
{%- endmacro %}

{#- Case-sensitive regular-expression search (true when `pattern` matches anywhere). -#}
{% macro regex_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'spoor')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regex_matches(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}
{% macro duckdb__regex_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- Sorted list of the distinct non-null values of `expr` (an aggregate). -#}
{% macro sorted_distinct_list(expr) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__sorted_distinct_list(expr) -%}
    array_agg(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null)
{%- endmacro %}
{% macro duckdb__sorted_distinct_list(expr) -%}
    coalesce(list(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null), []::varchar[])
{%- endmacro %}

{#- Host of a URL, lower-cased, without `www.` and port; null when not a URL. -#}
{% macro url_host(expr) -%}
    {{ return(adapter.dispatch('url_host', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__url_host(expr) -%}
    nullif(regexp_replace(lower(regexp_substr({{ expr }}, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#:]+')), '^[a-z0-9+.-]+://(www[0-9]?\.)?', ''), '')
{%- endmacro %}
{% macro duckdb__url_host(expr) -%}
    nullif(regexp_replace(lower(regexp_extract({{ expr }}, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)', 1)), '^www[0-9]?\.', ''), '')
{%- endmacro %}

{#- A UTC wall-clock `timestamp` (no zone) from a timestamptz: contract §3's time type. -#}
{% macro utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__utc_timestamp(expr) -%}
    cast({{ expr }} at time zone 'UTC' as timestamp)
{%- endmacro %}
{% macro duckdb__utc_timestamp(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{#- A JSON array of strings as a list of text (dlt stores list columns as JSON). -#}
{% macro json_text_list(expr) -%}
    {{ return(adapter.dispatch('json_text_list', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__json_text_list(expr) -%}
    cast({{ expr }} as varchar[])
{%- endmacro %}
