{#- Salted SHA-256 of a normalised (trimmed, lower-cased) PII value. The salt comes from
    SPOOR_PII_SALT so hashes cannot be reversed with a dictionary of known emails; the dev
    default exists only so local builds work. -#}
{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'spoor')(expr)) }}
{%- endmacro %}
{% macro default__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha2('{{ env_var("SPOOR_PII_SALT", "spoor-dev-salt") }}' || lower(trim({{ expr }})), 256)
    end
{%- endmacro %}
{% macro duckdb__hash_pii(expr) -%}
    case when {{ expr }} is not null then
        sha256('{{ env_var("SPOOR_PII_SALT", "spoor-dev-salt") }}' || lower(trim({{ expr }})))
    end
{%- endmacro %}

{#- The raw IP never leaves staging: IPv4 keeps its /24 network (`1.2.3.0`), anything
    else (IPv6) is replaced by its salted hash. -#}
{% macro ip_prefix(expr) -%}
    case
        when {{ regex_matches(expr, '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$') }}
            then regexp_replace({{ expr }}, '\.[0-9]+$', '.0')
        else {{ hash_pii(expr) }}
    end
{%- endmacro %}
