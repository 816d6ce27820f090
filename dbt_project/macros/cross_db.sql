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

{#- `expr` with the first match of `pattern` replaced by the literal `replacement`. -#}
{% macro regex_replace(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'spoor')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regex_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
{% macro duckdb__regex_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
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

{#- Several text fields of one JSON column, parsed once: `json_record(expr, paths)` in one
    CTE, then `json_record_text(record, path)` per field (paths dotted, as json_text's).
    DuckDB parses the document once into a struct; the default keeps the JSON and reads
    each path with json_text. -#}
{% macro json_record(expr, paths) -%}
    {{ return(adapter.dispatch('json_record', 'spoor')(expr, paths)) }}
{%- endmacro %}
{% macro default__json_record(expr, paths) -%}
    {{ expr }}
{%- endmacro %}
{% macro duckdb__json_record(expr, paths) -%}
    {%- set schema = {} -%}
    {%- for path in paths -%}
        {%- set node = namespace(fields=schema) -%}
        {%- set keys = path.split('.') -%}
        {%- for key in keys -%}
            {%- if loop.last -%}
                {%- do node.fields.update({key: 'VARCHAR'}) -%}
            {%- else -%}
                {%- if key not in node.fields -%}{%- do node.fields.update({key: {}}) -%}{%- endif -%}
                {%- set node.fields = node.fields[key] -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    json_transform({{ expr }}, '{{ tojson(schema) }}')
{%- endmacro %}

{% macro json_record_text(record, path) -%}
    {{ return(adapter.dispatch('json_record_text', 'spoor')(record, path)) }}
{%- endmacro %}
{% macro default__json_record_text(record, path) -%}
    {{ json_text(record, path) }}
{%- endmacro %}
{% macro duckdb__json_record_text(record, path) -%}
    {{ record }}{% for key in path.split('.') %}['{{ key }}']{% endfor %}
{%- endmacro %}

{#- `expr` cast to `type`, null where it does not convert. -#}
{% macro safe_cast(expr, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'spoor')(expr, type)) }}
{%- endmacro %}
{% macro default__safe_cast(expr, type) -%}
    {{ dbt.safe_cast(expr, type) }}
{%- endmacro %}
{% macro duckdb__safe_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{#- Aggregates: `value` on the row with the smallest / largest `order_expr` (null values
    are kept, not skipped). `order_expr` may be a list: compared in order, as a tie-break. -#}
{% macro value_at_min(value, order_expr) -%}
    {{ return(adapter.dispatch('value_at_min', 'spoor')(value, order_expr)) }}
{%- endmacro %}
{% macro default__value_at_min(value, order_expr) -%}
    min_by({{ value }}, {{ order_key(order_expr) }})
{%- endmacro %}
{% macro duckdb__value_at_min(value, order_expr) -%}
    arg_min_null({{ value }}, {{ order_key(order_expr) }})
{%- endmacro %}

{% macro value_at_max(value, order_expr) -%}
    {{ return(adapter.dispatch('value_at_max', 'spoor')(value, order_expr)) }}
{%- endmacro %}
{% macro default__value_at_max(value, order_expr) -%}
    max_by({{ value }}, {{ order_key(order_expr) }})
{%- endmacro %}
{% macro duckdb__value_at_max(value, order_expr) -%}
    arg_max_null({{ value }}, {{ order_key(order_expr) }})
{%- endmacro %}

{#- One comparable value from a list of expressions (compared left to right). -#}
{% macro order_key(exprs) -%}
    {{ return(adapter.dispatch('order_key', 'spoor')(exprs)) }}
{%- endmacro %}
{% macro default__order_key(exprs) -%}
    {%- if exprs is string -%}{{ exprs }}{%- else -%}struct({{ exprs | join(', ') }}){%- endif -%}
{%- endmacro %}
{% macro duckdb__order_key(exprs) -%}
    {%- if exprs is string -%}{{ exprs }}{%- else -%}({{ exprs | join(', ') }}){%- endif -%}
{%- endmacro %}

{#- A date `n` days after `date_expr` (n may be negative or an expression). -#}
{% macro add_days(date_expr, n) -%}
    {{ return(adapter.dispatch('add_days', 'spoor')(date_expr, n)) }}
{%- endmacro %}
{% macro default__add_days(date_expr, n) -%}
    cast({{ dbt.dateadd('day', n, date_expr) }} as date)
{%- endmacro %}
{% macro duckdb__add_days(date_expr, n) -%}
    ({{ date_expr }} + {{ n }})
{%- endmacro %}

{#- Select-list item expanding each row into one row per value start..stop (inclusive):
    integers, or dates one day apart. -#}
{% macro explode_range(start_expr, stop_expr, dates=false) -%}
    {{ return(adapter.dispatch('explode_range', 'spoor')(start_expr, stop_expr, dates)) }}
{%- endmacro %}
{% macro default__explode_range(start_expr, stop_expr, dates) -%}
    explode(sequence({{ start_expr }}, {{ stop_expr }}))
{%- endmacro %}
{% macro duckdb__explode_range(start_expr, stop_expr, dates) -%}
    {%- if dates -%}
    cast(unnest(generate_series({{ start_expr }}, {{ stop_expr }}, interval 1 day)) as date)
    {%- else -%}
    unnest(generate_series({{ start_expr }}, {{ stop_expr }}))
    {%- endif -%}
{%- endmacro %}

{#- The median (interpolated: the median of two values is their mean), an aggregate. -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}
{% macro duckdb__median(expr) -%}
    quantile_cont({{ expr }}, 0.5)
{%- endmacro %}

{#- Written after a CTE's `as`: compute the CTE inside each query that reads it instead of
    storing its rows once. DuckDB stores every CTE read more than once, copying each row;
    for millions of wide rows that copy costs several times what re-scanning the table and
    re-running cheap joins does (int_events_enriched at 5M events: 23 s -> 4 s, peak memory
    10 -> 2 GB). Only for deterministic CTEs: each reader recomputes it. -#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'spoor')()) }}
{%- endmacro %}
{% macro default__inline_cte() -%}{%- endmacro %}
{% macro duckdb__inline_cte() -%}not materialized{%- endmacro %}
