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
        substr({{ path_expr }}, strpos({{ path_expr }}, '.') + 1), '~', '~0'), '/', '~1'), '.', '/'))
{%- endmacro %}

{% macro spoor_add_seconds(ts_expr, seconds_expr) -%}
    {{ return(adapter.dispatch('spoor_add_seconds', 'spoor')(ts_expr, seconds_expr)) }}
{%- endmacro %}
{% macro default__spoor_add_seconds(ts_expr, seconds_expr) -%}
    ({{ ts_expr }} + to_seconds({{ seconds_expr }}))
{%- endmacro %}

{#- Seconds from a to b, keeping sub-second precision. -#}
{% macro spoor_seconds_between(a_expr, b_expr) -%}
    {{ return(adapter.dispatch('spoor_seconds_between', 'spoor')(a_expr, b_expr)) }}
{%- endmacro %}
{% macro default__spoor_seconds_between(a_expr, b_expr) -%}
    (date_diff('microsecond', {{ a_expr }}, {{ b_expr }}) / 1e6)
{%- endmacro %}

{#- Wall-clock time in `tz_expr` of a naive UTC timestamp (independent of session TimeZone). -#}
{% macro spoor_local_time(ts_expr, tz_expr) -%}
    {{ return(adapter.dispatch('spoor_local_time', 'spoor')(ts_expr, tz_expr)) }}
{%- endmacro %}
{% macro default__spoor_local_time(ts_expr, tz_expr) -%}
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
        when 'day' then date_diff('day', {{ a_expr }}, {{ b_expr }})
        when 'week' then date_diff('day', {{ a_expr }}, {{ b_expr }}) // 7
        when 'month' then date_diff('month', {{ a_expr }}, {{ b_expr }})
    end
{%- endmacro %}

{% macro spoor_add_periods(date_expr, n_expr, period_expr) -%}
    {{ return(adapter.dispatch('spoor_add_periods', 'spoor')(date_expr, n_expr, period_expr)) }}
{%- endmacro %}
{% macro default__spoor_add_periods(date_expr, n_expr, period_expr) -%}
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
