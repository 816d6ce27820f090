-- One row per person and day (cut in the analytics timezone) with a track, page or screen
-- event (identify/alias/group are bookkeeping, not use): what active-person counts and
-- lifecycle read, instead of every event.
-- Incremental per person (macros/analytics/incremental_persons.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    post_hook=[
        "{{ spoor_delete_rebuilt_persons() }}",
        "{{ spoor_record_config_fingerprint() }}",
        "{{ spoor_record_watermark() }}",
    ],
) }}
with settings as (
    select timezone from {{ source('config', 'settings') }}
)

select distinct
    e.person_id,
    cast({{ spoor_local_time('e.occurred_at', 's.timezone') }} as date) as activity_date,
    {{ spoor_built_at() }} as _built_at
from {{ ref('int_analytics__events') }} as e
cross join settings as s
where
    e.event_type in ('track', 'page', 'screen')
    {%- if is_incremental() %}
    and {{ spoor_analytics_rebuild_filter('e.person_id') }}
    {%- endif %}
    and e.person_id is not null
