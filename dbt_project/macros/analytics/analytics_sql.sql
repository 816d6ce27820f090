{#- Engine-specific pieces of the analytics models, behind adapter.dispatch so another
    engine only needs a `<adapter>__` variant. Definitions arrive as config *data*, so
    JSON paths, time zones and periods are column expressions here, never literals. -#}

{#- Text of a JSON value at a JSON pointer (`/a/b`), like `->>`: null when absent. -#}
{% macro spoor_json_text(json_expr, pointer_expr) -%}
    {{ return(adapter.dispatch('spoor_json_text', 'spoor')(json_expr, pointer_expr)) }}
{%- endmacro %}
{% macro default__spoor_json_text(json_expr, pointer_expr) -%}
    json_extract_string({{ json_expr }}, {{ pointer_expr }})
{%- endmacro %}

{#- JSON pointer for one top-level key (RFC 6901 escaping, so keys may hold `/`, `~`, `.`). -#}
{% macro spoor_key_pointer(key_expr) -%}
    ('/' || replace(replace({{ key_expr }}, '~', '~0'), '/', '~1'))
{%- endmacro %}

{#- JSON pointer for a dotted breakdown path minus its root (`context.a.b` -> `/a/b`). -#}
{% macro spoor_path_pointer(path_expr) -%}
    ('/' || replace(replace(replace(
        substr({{ path_expr }}, position('.' in {{ path_expr }}) + 1), '~', '~0'), '/', '~1'), '.', '/'))
{%- endmacro %}

{% macro spoor_add_seconds(ts_expr, seconds_expr) -%}
    {{ return(adapter.dispatch('spoor_add_seconds', 'spoor')(ts_expr, seconds_expr)) }}
{%- endmacro %}
{% macro default__spoor_add_seconds(ts_expr, seconds_expr) -%}
    {{ dbt.dateadd('second', seconds_expr, ts_expr) }}
{%- endmacro %}
{% macro duckdb__spoor_add_seconds(ts_expr, seconds_expr) -%}
    ({{ ts_expr }} + to_seconds({{ seconds_expr }}))
{%- endmacro %}

{#- Seconds from a to b, keeping sub-second precision. -#}
{% macro spoor_seconds_between(a_expr, b_expr) -%}
    {{ return(adapter.dispatch('spoor_seconds_between', 'spoor')(a_expr, b_expr)) }}
{%- endmacro %}
{% macro default__spoor_seconds_between(a_expr, b_expr) -%}
    extract(epoch from ({{ b_expr }} - {{ a_expr }}))
{%- endmacro %}
{% macro duckdb__spoor_seconds_between(a_expr, b_expr) -%}
    (date_diff('microsecond', {{ a_expr }}, {{ b_expr }}) / 1e6)
{%- endmacro %}

{#- Wall-clock time in `tz_expr` of a naive UTC timestamp (independent of session TimeZone). -#}
{% macro spoor_local_time(ts_expr, tz_expr) -%}
    {{ return(adapter.dispatch('spoor_local_time', 'spoor')(ts_expr, tz_expr)) }}
{%- endmacro %}
{% macro default__spoor_local_time(ts_expr, tz_expr) -%}
    (({{ ts_expr }} at time zone 'UTC') at time zone {{ tz_expr }})
{%- endmacro %}
{% macro duckdb__spoor_local_time(ts_expr, tz_expr) -%}
    timezone({{ tz_expr }}, timezone('UTC', {{ ts_expr }}))
{%- endmacro %}

{#- First day of the day/week/month holding a local timestamp; weeks start on week_start. -#}
{% macro spoor_period_start(local_expr, period_expr, week_start_expr) -%}
    {{ return(adapter.dispatch('spoor_period_start', 'spoor')(local_expr, period_expr, week_start_expr)) }}
{%- endmacro %}
{% macro default__spoor_period_start(local_expr, period_expr, week_start_expr) -%}
    case {{ period_expr }}
        when 'day' then cast({{ local_expr }} as date)
        -- ISO weeks start on Monday; shift by a day for Sunday weeks.
        when 'week' then cast(date_trunc('week', cast({{ local_expr }} as date)
                + case when {{ week_start_expr }} = 'sunday' then 1 else 0 end) as date)
            - case when {{ week_start_expr }} = 'sunday' then 1 else 0 end
        when 'month' then cast(date_trunc('month', {{ local_expr }}) as date)
    end
{%- endmacro %}

{#- Whole periods from period start a to period start b. -#}
{% macro spoor_periods_between(a_expr, b_expr, period_expr) -%}
    {{ return(adapter.dispatch('spoor_periods_between', 'spoor')(a_expr, b_expr, period_expr)) }}
{%- endmacro %}
{% macro default__spoor_periods_between(a_expr, b_expr, period_expr) -%}
    case {{ period_expr }}
        when 'day' then {{ dbt.datediff(a_expr, b_expr, 'day') }}
        when 'week' then floor({{ dbt.datediff(a_expr, b_expr, 'day') }} / 7)
        when 'month' then {{ dbt.datediff(a_expr, b_expr, 'month') }}
    end
{%- endmacro %}
{% macro duckdb__spoor_periods_between(a_expr, b_expr, period_expr) -%}
    case {{ period_expr }}
        when 'day' then date_diff('day', {{ a_expr }}, {{ b_expr }})
        when 'week' then date_diff('day', {{ a_expr }}, {{ b_expr }}) // 7
        when 'month' then date_diff('month', {{ a_expr }}, {{ b_expr }})
    end
{%- endmacro %}

{% macro spoor_add_periods(date_expr, n_expr, period_expr) -%}
    {{ return(adapter.dispatch('spoor_add_periods', 'spoor')(date_expr, n_expr, period_expr)) }}
{%- endmacro %}
{% macro default__spoor_add_periods(date_expr, n_expr, period_expr) -%}
    cast(case {{ period_expr }}
        when 'day' then {{ dbt.dateadd('day', n_expr, date_expr) }}
        when 'week' then {{ dbt.dateadd('day', '7 * (' ~ n_expr ~ ')', date_expr) }}
        when 'month' then {{ dbt.dateadd('month', n_expr, date_expr) }}
    end as date)
{%- endmacro %}
{% macro duckdb__spoor_add_periods(date_expr, n_expr, period_expr) -%}
    cast({{ date_expr }} + case {{ period_expr }}
        when 'day' then to_days({{ n_expr }})
        when 'week' then to_days(7 * {{ n_expr }})
        when 'month' then to_months({{ n_expr }})
    end as date)
{%- endmacro %}

{#- Bots are left out unless var spoor__include_bots is true (design: sessions, funnels, retention). -#}
{% macro spoor_not_bot(is_bot_expr='is_bot') -%}
    {%- if var('spoor__include_bots', false) | string | lower == 'true' -%} true
    {%- else -%} not coalesce({{ is_bot_expr }}, false)
    {%- endif -%}
{%- endmacro %}

{#- The Segment context (contract §1) as fct_events flattens it: group -> {key: column}, and
    top-level keys -> column. -#}
{% macro spoor_context_shape() -%}
    {{ return({
        'campaign': {'source': 'campaign_source', 'medium': 'campaign_medium',
                     'name': 'campaign_name', 'term': 'campaign_term', 'content': 'campaign_content'},
        'page': {'url': 'page_url', 'path': 'page_path', 'referrer': 'page_referrer',
                 'title': 'page_title', 'search': 'page_search'},
        'app': {'name': 'app_name', 'version': 'app_version'},
        'library': {'name': 'library_name', 'version': 'library_version'},
        'locale': 'locale',
        'timezone': 'timezone',
    }) }}
{%- endmacro %}

{#- Text at a `context.*` breakdown path (data) of a row of fct_events columns (`alias`;
    `columns`: the names it has, a missing one reads as null): a flattened column when the
    path names one; otherwise (a whole group, or a key spoor does not keep) the value in
    the context JSON rebuilt from those columns. -#}
{% macro spoor_context_text(path_expr, alias, columns) -%}
    {%- set shape = spoor_context_shape() -%}
    case {{ path_expr }}
        {%- for group, fields in shape.items() %}
        {%- if fields is mapping %}
        {%- for key, column in fields.items() %}
        when 'context.{{ group }}.{{ key }}' then {{ spoor_column_or_null(alias, column, columns) }}
        {%- endfor %}
        {%- else %}
        when 'context.{{ group }}' then {{ spoor_column_or_null(alias, fields, columns) }}
        {%- endif %}
        {%- endfor %}
        else {{ spoor_json_text(spoor_context_json(alias, columns), spoor_path_pointer(path_expr)) }}
    end
{%- endmacro %}

{% macro spoor_column_or_null(alias, column, columns) -%}
    {{ alias ~ '.' ~ column if column in columns else 'cast(null as varchar)' }}
{%- endmacro %}

{#- The context JSON object rebuilt from fct_events columns. -#}
{% macro spoor_context_json(alias, columns) -%}
    {{ return(adapter.dispatch('spoor_context_json', 'spoor')(alias, columns)) }}
{%- endmacro %}
{% macro default__spoor_context_json(alias, columns) -%}
    json_object(
    {%- for group, fields in spoor_context_shape().items() %}
        '{{ group }}',
        {%- if fields is mapping %} json_object(
            {%- for key, column in fields.items() %}
            '{{ key }}', {{ spoor_column_or_null(alias, column, columns) }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- else %} {{ spoor_column_or_null(alias, fields, columns) }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
