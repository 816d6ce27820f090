-- Sessions (docs/design.md "Sessions"): per person and device, ordered by
-- (occurred_at, event_id); a gap of more than spoor__session_timeout_minutes starts a new
-- session (exactly the timeout stays in), and no session runs past
-- spoor__session_max_hours. Midnight does not split. Bots are left out by default.
{%- set timeout_s = var('spoor__session_timeout_minutes') * 60 %}
{%- set max_s = var('spoor__session_max_hours') * 3600 %}
-- Incremental: events changed since the last build (new, re-read, or whose person changed)
-- mark their (person, device) groups, old and new. Each marked group is re-sessionized
-- from the start of the stored visit the earliest change falls in, or whole when the
-- change precedes every stored event: a change cannot close the gap of more than the
-- timeout before that visit, so earlier sessions stay, and a late event still re-stitches
-- sessions of any age.
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

{% if is_incremental() %}
changed as (
    {{ spoor_changed_events(spoor_watermark()) }}
),

-- The changed events' stored places (their old group and time).
changed_built as (
    select person_id, device_key, occurred_at from {{ this }}
    where event_id in (select event_id from changed)
),

-- The identifiers the marked groups can hold (the changed events' own, and their stored
-- devices): only the events carrying one are identified below, not every event.
changed_identifiers as (
    select anonymous_id, user_id from {{ ref('int_events_enriched') }}
    where event_id in (select event_id from changed)
    union all
    select
        {{ spoor_node_raw_id('device_key', 'anon') }},
        {{ spoor_node_raw_id('device_key', 'user') }}
    from changed_built
),
{% endif %}

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
    {%- if is_incremental() %}
        and (
            anonymous_id in (select anonymous_id from changed_identifiers)
            or user_id in (select user_id from changed_identifiers)
        )
    {%- endif %}

),

{% if is_incremental() %}
-- Where each marked group changed first: its changed events at their new and old places.
touched_groups as (
    select person_id, device_key, min(occurred_at) as changed_from
    from (
        select person_id, device_key, occurred_at from identified
        where event_id in (select event_id from changed)
        union all
        select person_id, device_key, occurred_at from changed_built
    ) as changed_places
    group by person_id, device_key
),

-- The start of the stored visit holding the group's last event at or before its first
-- change (the latest visit start there); null, the whole group, when there is none, or
-- when the table predates the column (sync_all_columns adds it after this query).
{%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
restart_points as (
    select
        touched_groups.person_id,
        touched_groups.device_key,
        {%- if 'visit_started_at' in built_columns %}
        max(built.visit_started_at) as restart_at
        {%- else %}
        cast(null as timestamp with time zone) as restart_at
        {%- endif %}
    from touched_groups
    left join {{ this }} as built
        on
            touched_groups.person_id = built.person_id
            and touched_groups.device_key = built.device_key
            and built.occurred_at <= touched_groups.changed_from
    group by touched_groups.person_id, touched_groups.device_key
),
{% endif %}

events as (
    select identified.*
    from identified
    {%- if is_incremental() %}
        inner join restart_points
            on
                identified.person_id = restart_points.person_id
                and identified.device_key = restart_points.device_key
    where
        restart_points.restart_at is null
        or identified.occurred_at >= restart_points.restart_at
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
    -- Where an incremental run restarts this event's group (see restart_points).
    visit_started_at,
    {{ spoor_built_at() }} as _built_at
from numbered
