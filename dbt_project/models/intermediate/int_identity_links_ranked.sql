-- Identity edges (docs/design.md "Identity rules"): every message carrying a userId links
-- it to the message's anonymousId, and an alias links previousId to userId.
-- Shared-device guard: an anonymousId keeps links to its first
-- spoor__max_user_ids_per_person userIds (by event time, then message id); later ones
-- are blocked and reported in audit.identity_merge_conflicts.
with

observed as (select * from {{ ref('int_identifiers_observed') }}),

pairs as (

    select
        others.node_id as from_node_id,
        users.node_id as to_node_id,
        others.identifier_type as from_identifier_type,
        case when others.identifier_role = 'previous' then 'alias' else 'event' end as link_type,
        users.event_id,
        users.occurred_at
    from observed as users
    inner join observed as others
        on
            users.event_id = others.event_id
            and others.identifier_role in ('anonymous', 'previous')
    where
        users.identifier_role = 'user'
        and others.node_id <> users.node_id

),

-- One row per distinct link, described by the message that first made it (an aggregate,
-- not a window: no sort of every pair). On one message, an alias sorts before the
-- anonymousId link.
{%- set first = ['occurred_at', 'event_id', 'link_type'] %}
links as (

    select
        from_node_id,
        to_node_id,
        {{ value_at_min('from_identifier_type', first) }} as from_identifier_type,
        {{ value_at_min('link_type', first) }} as link_type,
        {{ value_at_min('event_id', first) }} as first_event_id,
        min(occurred_at) as first_linked_at
    from pairs
    group by from_node_id, to_node_id

),

ranked as (

    select
        *,
        -- Only anonymousIds are guarded; an alias of one userId to another is an
        -- explicit merge and is never blocked.
        case
            when from_identifier_type = 'anonymous_id' then
                row_number() over (
                    partition by from_node_id order by first_linked_at, first_event_id, to_node_id
                )
        end as link_rank
    from links

)

select
    *,
    coalesce(link_rank > {{ var('spoor__max_user_ids_per_person') }}, false) as is_blocked
from ranked
