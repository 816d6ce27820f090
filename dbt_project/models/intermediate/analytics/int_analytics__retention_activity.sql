-- For every retention definition: which persons did its start / return event in which
-- period, periods cut in the analytics file's timezone and week start.
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
with settings as (
    select
        timezone,
        week_start
    from {{ source('config', 'settings') }}
),

events as (
    select
        e.person_id,
        e.event_type,
        e.event_name,
        e.occurred_at,
        {{ spoor_local_time('e.occurred_at', 's.timezone') }} as local_at,
        s.week_start
    from {{ ref('int_analytics__events') }} as e
    cross join settings as s
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('e.person_id') }}
    {%- endif %}
),

matched as (
    select
        r.retention_name,
        r.period,
        r.retention_type,
        e.person_id,
        e.occurred_at,
        e.event_type = r.start_event_type
        and (r.start_event_name is null or e.event_name = r.start_event_name) as is_start,
        e.event_type = r.return_event_type
        and (r.return_event_name is null or e.event_name = r.return_event_name) as is_return,
        {{ spoor_period_start('e.local_at', 'r.period', 'e.week_start') }} as period_start
    from events as e
    inner join {{ source('config', 'retention_definitions') }} as r
        on (
            e.event_type = r.start_event_type
            and (r.start_event_name is null or e.event_name = r.start_event_name)
        )
        or (
            e.event_type = r.return_event_type
            and (r.return_event_name is null or e.event_name = r.return_event_name)
        )
),

-- recurring: every period with a start event; first_time: the period of the first ever
starts as (
    select
        retention_name,
        person_id,
        period_start
    from (
        select
            retention_name,
            retention_type,
            person_id,
            period_start,
            row_number() over (
                partition by retention_name, person_id order by occurred_at
            ) as start_rank
        from matched
        where is_start
    ) as ranked
    where retention_type = 'recurring' or start_rank = 1
)

select distinct
    retention_name,
    person_id,
    period_start,
    'cohort' as activity,
    {{ spoor_built_at() }} as _built_at
from starts
union all
select distinct
    retention_name,
    person_id,
    period_start,
    'return' as activity,
    {{ spoor_built_at() }} as _built_at
from matched
where is_return
