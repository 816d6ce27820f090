-- One row per (funnel exclusion, event) where the event matches the exclusion, matched
-- like funnel steps (type, name, `where` filters).
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
with candidates as (
    select
        x.funnel_name,
        x.exclusion_index,
        x.from_step,
        x.to_step,
        e.person_id,
        e.event_id,
        e.occurred_at,
        e.properties
    from {{ ref('int_analytics__events') }} as e
    inner join {{ source('config', 'funnel_exclusions') }} as x
        on
            e.event_type = x.event_type
            and (x.event_name is null or e.event_name = x.event_name)
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('e.person_id') }}
    {%- endif %}
)

select
    funnel_name,
    exclusion_index,
    from_step,
    to_step,
    person_id,
    event_id,
    occurred_at,
    {{ spoor_built_at() }} as _built_at
from candidates as c
where not exists (
    select 1
    from {{ source('config', 'funnel_exclusion_filters') }} as w
    where
        w.funnel_name = c.funnel_name
        and w.exclusion_index = c.exclusion_index
        and {{ spoor_json_text('c.properties', spoor_key_pointer('w.property')) }} is distinct from w.value
)
