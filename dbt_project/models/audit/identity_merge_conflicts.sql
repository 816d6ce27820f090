-- Identity links the shared-device guard refused: an anonymousId already tied to
-- spoor__max_user_ids_per_person userIds was seen with another one.
select
    links.from_node_id,
    links.to_node_id,
    {{ spoor_node_raw_id('links.from_node_id', 'anon') }} as anonymous_id,
    {{ spoor_node_raw_id('links.to_node_id', 'user') }} as blocked_user_id,
    links.link_type,
    links.link_rank,
    links.first_event_id,
    links.first_linked_at,
    kept.person_id as anonymous_id_person_id,
    blocked.person_id as blocked_user_person_id
from {{ ref('int_identity_links_ranked') }} as links
left join {{ ref('int_identities_resolved') }} as kept on links.from_node_id = kept.node_id
left join {{ ref('int_identities_resolved') }} as blocked on links.to_node_id = blocked.node_id
where links.is_blocked
