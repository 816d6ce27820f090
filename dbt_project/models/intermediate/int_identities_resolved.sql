-- Every identity node with its person: connected components over the unblocked links.
-- person_id = md5 of the component's canonical identifier, 'user:' || min(userId) when
-- it has one, else 'anon:' || min(anonymousId); node ids carry exactly these prefixes.
with

nodes as (

    select
        node_id,
        min(identifier_type) as identifier_type,
        min(identifier) as identifier,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from {{ ref('int_identifiers_observed') }}
    group by node_id

),

edges as (

    select
        from_node_id as node_a,
        to_node_id as node_b
    from {{ ref('int_identity_links_ranked') }}
    where not is_blocked

),

components as (

    {{ connected_components('nodes', 'edges') }}

),

canonical as (

    select
        component_id,
        coalesce(
            min(case when node_id like 'user:%' then node_id end),
            min(node_id)
        ) as canonical_node_id
    from components
    group by component_id

)

select
    nodes.node_id,
    nodes.identifier_type,
    nodes.identifier,
    md5(canonical.canonical_node_id) as person_id,
    canonical.canonical_node_id,
    nodes.first_seen_at,
    nodes.last_seen_at
from nodes
inner join components on nodes.node_id = components.node_id
inner join canonical on components.component_id = canonical.component_id
