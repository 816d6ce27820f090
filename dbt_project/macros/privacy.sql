{#- Salted SHA-256 of a normalised (trimmed, lower-cased) PII value. The salt comes from
    SPOOR_PII_SALT (the environment only) so hashes cannot be reversed with a dictionary of
    known emails. The dev default exists only so local builds work: with SPOOR_ENV=production
    a missing salt fails the build instead (RELIABILITY.md). -#}
{% macro pii_salt() -%}
    {%- set salt = env_var('SPOOR_PII_SALT', '') -%}
    {%- if not salt and env_var('SPOOR_ENV', 'development') | lower == 'production' -%}
        {{ exceptions.raise_compiler_error(
            "SPOOR_PII_SALT is not set: with SPOOR_ENV=production the PII hashing salt must "
            ~ "come from the environment (no default salt is used in production)") }}
    {%- endif -%}
    {{ return((salt or 'spoor-dev-salt') | replace("'", "''")) }}
{%- endmacro %}

{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha2('{{ pii_salt() }}' || lower(trim({{ expr }})), 256)
    end
{%- endmacro %}
{% macro duckdb__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha256('{{ pii_salt() }}' || lower(trim({{ expr }})))
    end
{%- endmacro %}

{#- The raw IP never leaves staging: IPv4 keeps its /24 network (`1.2.3.0`), anything
    else (IPv6) is replaced by its salted hash. -#}
{% macro ip_prefix(expr) -%}
    case
        when {{ regex_matches(expr, '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$') }}
            then {{ regex_replace(expr, '\.[0-9]+$', '.0') }}
        else {{ hash_pii(expr) }}
    end
{%- endmacro %}
