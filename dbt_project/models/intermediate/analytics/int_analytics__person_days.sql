-- One row per person and day (cut in the analytics timezone) with a track, page or screen
-- event (identify/alias/group are bookkeeping, not use): what active-person counts and
-- lifecycle read, instead of every event.
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
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
