-- One row per session (contract §3). Source, campaign and device come from the session's
-- first event, as GA4 attributes a session to how it started.
-- Incremental (delete+insert on session_id): rebuilds whole every session with an event
-- re-sessionized since its last build; the post-hook drops sessions that no longer exist
-- (a late event that comes first renames its session).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='session_id',
    on_schema_change='fail',
    post_hook=["{{ spoor_delete_vanished_sessions() }}", "{{ spoor_record_watermark() }}"],
) }}
with

sessionized as (
    select * from {{ ref('int_events_sessionized') }}
    {%- if is_incremental() %}
    where session_id in (
        select session_id from {{ ref('int_events_sessionized') }}
        where _built_at > {{ spoor_watermark() }}
    )
    {%- endif %}
),

-- Enrichment only: person and device come from the sessionization.
events as (
    select * from {{ ref('int_events_enriched') }}
    {%- if is_incremental() %}
    where event_id in (select event_id from sessionized)
    {%- endif %}
),

session_events as (

    select
        sessionized.session_id,
        sessionized.event_index,
        sessionized.occurred_at,
        sessionized.person_id,
        sessionized.device_key,
        events.user_id,
        events.event_type,
        events.event_name,
        events.page_path,
        events.channel,
        events.traffic_source,
        events.traffic_medium,
        events.referrer_host,
        events.campaign_source,
        events.campaign_medium,
        events.campaign_name,
        events.device_type,
        events.browser_family,
        events.os_family,
        events.country_code,
        events.source_id
    from sessionized
    inner join events on sessionized.event_id = events.event_id

),

-- Aggregates, not windows over wide rows: entry and exit pages are the first and last
-- page views by event_index.
aggregated as (

    select
        session_id,
        min(person_id) as person_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as event_count,
        count(case when event_type = 'page' then 1 end) as pageview_count,
        count(case when event_type in ('track', 'screen') then 1 end) as interaction_count,
        count(case when event_type = 'track' and event_name = 'Order Completed' then 1 end)
            as conversion_count,
        {{ value_at_min('page_path', 'event_index') }} filter (where event_type = 'page')
            as entry_page,
        {{ value_at_max('page_path', 'event_index') }} filter (where event_type = 'page')
            as exit_page
    from session_events
    group by session_id

),

first_events as (
    select * from session_events
    where event_index = 1
)

select
    aggregated.session_id,
    aggregated.person_id,
    -- The session's device; null when it is known only by a userId.
    {{ spoor_node_raw_id('first_events.device_key', 'anon') }} as anonymous_id,
    first_events.user_id,
    {{ utc_timestamp('aggregated.started_at') }} as started_at,
    {{ utc_timestamp('aggregated.ended_at') }} as ended_at,
    cast({{ seconds_between('aggregated.started_at', 'aggregated.ended_at') }} as double)
        as duration_s,
    aggregated.event_count,
    aggregated.pageview_count,
    aggregated.entry_page,
    aggregated.exit_page,
    aggregated.pageview_count = 1 and aggregated.interaction_count = 0 as is_bounce,
    {{ seconds_between('aggregated.started_at', 'aggregated.ended_at') }} > 10
    or aggregated.pageview_count >= 2
    or aggregated.conversion_count > 0 as is_engaged,
    first_events.channel,
    first_events.traffic_source,
    first_events.traffic_medium,
    first_events.referrer_host,
    first_events.campaign_source,
    first_events.campaign_medium,
    first_events.campaign_name,
    first_events.device_type,
    first_events.browser_family,
    first_events.os_family,
    first_events.country_code,
    first_events.source_id,
    cast({{ utc_timestamp("aggregated.started_at") }} as date) as started_date
from aggregated
inner join first_events on aggregated.session_id = first_events.session_id
