-- Each event with its person: the person of its userId when present (and not junk),
-- else of its anonymousId. Events from before a merge belong to the merged person too,
-- because the person comes from the finished graph, not from the order of arrival.
-- A view: always the current graph; the incremental models downstream store what they need.
{{ config(materialized='view') }}
with

events as (select * from {{ ref('int_events_enriched') }}),

identities as (select * from {{ ref('int_identities_resolved') }})

select
    events.*,
    coalesce(users.person_id, anonymous.person_id) as person_id,
    -- The device a session belongs to: the browser/app id, else the user id.
    case
        when anonymous.node_id is not null then 'anon:' || events.anonymous_id
        when users.node_id is not null then 'user:' || events.user_id
    end as device_key
from events
left join identities as users on 'user:' || events.user_id = users.node_id
left join identities as anonymous on 'anon:' || events.anonymous_id = anonymous.node_id
