-- One row per person: activity span, volume, orders and revenue, and first-touch channel
-- (the channel of their earliest session). Bots are left out (as in funnels/retention).
-- Revenue follows the Segment e-commerce spec: Order Completed `revenue`, else `total`.
with events as (
    select
        person_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'track' and event_name = 'Order Completed')
            as order_count,
        sum(coalesce(
            {{ safe_cast(spoor_json_text('properties', "'/revenue'"), 'double') }},
            {{ safe_cast(spoor_json_text('properties', "'/total'"), 'double') }}
        )) filter (where event_type = 'track' and event_name = 'Order Completed') as revenue
    from {{ ref('int_analytics__events') }}
    group by person_id
),

sessions as (
    select
        person_id,
        count(*) as session_count,
        {{ value_at_min('channel', ['started_at', 'session_id']) }} as first_touch_channel
    from {{ ref('fct_sessions') }}
    group by person_id
)

select
    e.person_id,
    e.first_seen_at,
    e.last_seen_at,
    coalesce(s.session_count, 0) as session_count,
    e.event_count,
    e.order_count,
    coalesce(e.revenue, 0) as revenue,
    s.first_touch_channel
from events as e
left join sessions as s on e.person_id = s.person_id
