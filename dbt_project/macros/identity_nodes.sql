{#- The raw id inside an identity-graph node id of type `node_type` ('user' or 'anon';
    node ids are '<type>:<id>', int_identifiers_observed), NULL for a node of the other
    type. Also reads device keys, which are node ids. -#}
{% macro spoor_node_raw_id(node_id, node_type) -%}
    case
        when {{ node_id }} like '{{ node_type }}:%'
            then substr({{ node_id }}, {{ node_type | length + 2 }})
    end
{%- endmacro %}
