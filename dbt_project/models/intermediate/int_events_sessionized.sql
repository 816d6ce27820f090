-- Sessions (docs/design.md "Sessions"): per person and device, ordered by
-- (occurred_at, event_id); a gap of more than spoor__session_timeout_minutes starts a new
-- session (exactly the timeout stays in), and no session runs past
-- spoor__session_max_hours. Midnight does not split. Bots are left out by default.
{%- set timeout_s = var('spoor__session_timeout_minutes') * 60 %}
{%- set max_s = var('spoor__session_max_hours') * 3600 %}
-- Incremental: events changed since the last build (new, re-read, or whose person changed)
-- mark their (person, device) groups, old and new; each marked group is re-sessionized
-- whole, so a late event re-stitches sessions of any age.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='sync_all_columns',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
-- depends_on: {{ ref('int_events_enriched') }}
-- depends_on: {{ ref('int_identity_versions') }}
with

identified as (

    select
        event_id,
        person_id,
        device_key,
        occurred_at
    from {{ ref('int_events_identified') }}
    where
        person_id is not null
        and (not is_bot or {{ var('spoor__include_bots') | lower }})

),

{% if is_incremental() %}
changed as (
    {{ spoor_changed_events(spoor_watermark()) }}
),

touched_groups as (
    select person_id, device_key from identified
    where event_id in (select event_id from changed)
    union
    select person_id, device_key from {{ this }}
    where event_id in (select event_id from changed)
),
{% endif %}

events as (
    select identified.*
    from identified
    {%- if is_incremental() %}
        inner join touched_groups
            on
                identified.person_id = touched_groups.person_id
                and identified.device_key = touched_groups.device_key
    {%- endif %}
),

gaps as (

    select
        *,
        coalesce({{ seconds_between(
            'lag(occurred_at) over (partition by person_id, device_key order by occurred_at, event_id)',
            'occurred_at') }} > {{ timeout_s }}, true) as is_visit_start
    from events

),

-- One ordered pass numbers the visits and carries each visit's start time (the latest
-- visit start so far), so the split below needs no window of its own.
visits as (

    select
        *,
        sum(case when is_visit_start then 1 else 0 end) over visit_order as visit_index,
        max(case when is_visit_start then occurred_at end) over visit_order as visit_started_at
    from gaps
    window visit_order as (
        partition by person_id, device_key order by occurred_at, event_id
        rows between unbounded preceding and current row
    )

),

-- A visit longer than the maximum is cut every spoor__session_max_hours from its start.
split as (

    select
        *,
        floor({{ seconds_between('visit_started_at', 'occurred_at') }} / {{ max_s }}) as part_index
    from visits

),

numbered as (

    select
        *,
        first_value(event_id) over (
            partition by person_id, device_key, visit_index, part_index
            order by occurred_at, event_id
        ) as first_event_id,
        row_number() over (
            partition by person_id, device_key, visit_index, part_index
            order by occurred_at, event_id
        ) as event_index
    from split

)

select
    event_id,
    -- Named after its first event, so it is stable while that event stays first.
    md5('session:' || first_event_id) as session_id,
    person_id,
    device_key,
    occurred_at,
    event_index,
    {{ spoor_built_at() }} as _built_at
from numbered
