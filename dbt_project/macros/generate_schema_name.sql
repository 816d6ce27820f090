{#- Use the configured schema name as is (`marts`, not `main_marts`): BI tools and the
    contract address the marts by a fixed schema name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
