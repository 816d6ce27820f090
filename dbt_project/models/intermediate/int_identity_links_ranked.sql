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

-- One row per distinct link, described by the message that first made it.
links as (

    select
        from_node_id,
        to_node_id,
        from_identifier_type,
        link_type,
        event_id as first_event_id,
        occurred_at as first_linked_at
    from (
        select
            *,
            row_number() over (
                partition by from_node_id, to_node_id order by occurred_at, event_id
            ) as pair_rank
        from pairs
    ) as numbered
    where pair_rank = 1

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
