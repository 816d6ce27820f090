{#- Connected components of an undirected graph, as a query returning
    (node_id, component_id): component_id is the smallest node_id reachable.
    `nodes` has node_id; `edges` has node_a, node_b. A recursive walk follows chains of
    any length; UNION (not UNION ALL) drops pairs already reached, so it terminates. -#}
{% macro connected_components(nodes, edges) -%}
    {{ return(adapter.dispatch('connected_components', 'spoor')(nodes, edges)) }}
{%- endmacro %}

{% macro default__connected_components(nodes, edges) -%}
with recursive
    undirected as (
        select node_a, node_b from {{ edges }}
        union
        select node_b, node_a from {{ edges }}
    ),

    reached (node_id, reached_id) as (
        select node_id, node_id from {{ nodes }}
        union
        select reached.node_id, undirected.node_b
        from reached
        inner join undirected on reached.reached_id = undirected.node_a
    )

select node_id, min(reached_id) as component_id
from reached
group by node_id
{%- endmacro %}
