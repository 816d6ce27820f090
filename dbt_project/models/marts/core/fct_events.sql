-- One row per valid, deduplicated message (contract §3). Bots stay, flagged, without a
-- session; the raw IP does not reach this table (country and /24 prefix do).
-- Incremental (delete+insert on event_id): rewrites the events enriched or re-attributed to
-- a person since its last build, and those re-sessionized into another session (events
-- never disappear).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
-- depends_on: {{ ref('int_events_enriched') }}
-- depends_on: {{ ref('int_identity_versions') }}
with

{% if is_incremental() %}
changed as (
    {{ spoor_changed_events(spoor_watermark()) }}
    union
    -- re-sessionized events whose session changed (most keep theirs)
    select s.event_id
    from {{ ref('int_events_sessionized') }} as s
    left join {{ this }} as built on s.event_id = built.event_id
    where
        s._built_at > {{ spoor_watermark() }}
        and s.session_id is distinct from built.session_id
),
{% endif %}

events as (
    {{ spoor_identified_events(
        'event_id in (select event_id from changed)' if is_incremental() else none
    ) }}
),

-- The staged columns enrichment does not carry (properties, URLs, context).
staged as (
    select * from {{ ref('stg_raw__events') }}
    {%- if is_incremental() %}
        where event_id in (select event_id from changed)
    {%- endif %}
),

sessions as (
    select
        event_id,
        session_id
    from {{ ref('int_events_sessionized') }}
    {%- if is_incremental() %}
    where event_id in (select event_id from changed)
    {%- endif %}
)

select
    events.event_id,
    events.event_type,
    events.event_name,
    {{ utc_timestamp('events.occurred_at') }} as occurred_at,
    {{ utc_timestamp('staged.received_at') }} as received_at,
    events.person_id,
    events.anonymous_id,
    events.user_id,
    sessions.session_id,
    events.source_id,
    staged.page_name,
    staged.page_url,
    events.page_path,
    staged.page_title,
    staged.page_search,
    staged.page_referrer,
    events.referrer_host,
    events.campaign_source,
    events.campaign_medium,
    events.campaign_name,
    staged.campaign_term,
    staged.campaign_content,
    events.traffic_source,
    events.traffic_medium,
    events.channel,
    events.device_type,
    events.browser_family,
    events.browser_version,
    events.os_family,
    events.os_version,
    events.country_code,
    events.ip_prefix,
    staged.locale,
    staged.timezone,
    staged.library_name,
    staged.library_version,
    staged.app_name,
    staged.app_version,
    events.is_bot,
    staged.properties,
    staged.received_date,
    staged.file,
    staged.line_number,
    staged.load_id
from events
inner join staged on events.event_id = staged.event_id
left join sessions on events.event_id = sessions.event_id
