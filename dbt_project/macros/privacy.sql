{#- Salted SHA-256 of a normalised (trimmed, lower-cased) PII value. The salt comes from
    SPOOR_PII_SALT (the environment only) so hashes cannot be reversed with a dictionary of
    known emails. It reaches SQL as a session variable set by the profile's plugin
    (spoor/dbt_plugin.py), never as text: compiled SQL, manifest.json and logs never hold
    it (nor does partial_parse.msgpack, which records every env_var() a macro reads). With
    SPOOR_ENV=production the plugin fails the build when the salt is missing. -#}
{% macro pii_salt() -%}
    {{ return(adapter.dispatch('pii_salt', 'spoor')()) }}
{%- endmacro %}
{% macro default__pii_salt() -%}
    {{ exceptions.raise_compiler_error(
        "pii_salt: bind SPOOR_PII_SALT as a session variable for adapter " ~ adapter.type()
        ~ " (see spoor/dbt_plugin.py) and add a " ~ adapter.type() ~ "__pii_salt macro") }}
{%- endmacro %}
{% macro duckdb__pii_salt() -%}
    getvariable('spoor_pii_salt')
{%- endmacro %}

{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha2({{ pii_salt() }} || lower(trim({{ expr }})), 256)
    end
{%- endmacro %}
{% macro duckdb__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha256({{ pii_salt() }} || lower(trim({{ expr }})))
    end
{%- endmacro %}

{% macro ip_prefix(expr) -%}
    case
        when {{ regex_matches(expr, '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$') }}
            then {{ regex_replace(expr, '\.[0-9]+$', '.0') }}
        else {{ hash_pii(expr) }}
    end
{%- endmacro %}
