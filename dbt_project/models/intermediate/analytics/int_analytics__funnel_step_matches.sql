-- One row per (funnel step, event) where the event matches the step: type and name
-- (`page`/`screen` steps have no name and match any call), and every `where` filter equal
-- to the event's property as text. Definitions are rows, so one query serves every funnel.
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
{#- fct_events' columns: a context breakdown reads those that exist. -#}
{%- set fct_events_columns = [] %}
{%- if execute %}
    {%- set fct_events_columns = adapter.get_columns_in_relation(ref('fct_events')) | map(attribute='name') | map('lower') | list %}
{%- endif %}
with steps as (
    select
        s.*,
        f.breakdown_path,
        -- most steps have no `where` filter: only those that do check each event's properties
        exists(
            select 1 from {{ source('config', 'funnel_step_filters') }} as w
            where w.funnel_name = s.funnel_name and w.step_index = s.step_index
        ) as has_filters
    from {{ source('config', 'funnel_steps') }} as s
    inner join {{ source('config', 'funnels') }} as f on s.funnel_name = f.funnel_name
),

candidates as (
    select
        s.funnel_name,
        s.step_index,
        s.breakdown_path,
        s.has_filters,
        e.person_id,
        e.event_id,
        e.occurred_at,
        e.person_seq,
        e.properties
    from {{ ref('int_analytics__events') }} as e
    inner join steps as s
        on
            e.event_type = s.event_type
            and (s.event_name is null or e.event_name = s.event_name)
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('e.person_id') }}
    {%- endif %}
),

-- two readers below: recomputed, not stored (macro inline_cte)
matched as {{ inline_cte() }} (
    select * from candidates
    where not has_filters
    union all
    select * from candidates as c
    where
        c.has_filters
        and not exists (
            select 1
            from {{ source('config', 'funnel_step_filters') }} as w
            where
                w.funnel_name = c.funnel_name
                and w.step_index = c.step_index
                and {{ spoor_json_text('c.properties', spoor_key_pointer('w.property')) }} is distinct from w.value
        )
)

-- first-touch breakdown input: the value at the funnel's breakdown path, if any
select
    c.funnel_name,
    c.step_index,
    c.person_id,
    c.event_id,
    c.occurred_at,
    c.person_seq,
    case split_part(c.breakdown_path, '.', 1)
        when 'properties' then {{ spoor_json_text('c.properties', spoor_path_pointer('c.breakdown_path')) }}
    end as breakdown_value,
    {{ spoor_built_at() }} as _built_at
from matched as c
where c.breakdown_path is null or c.breakdown_path not like 'context.%'

union all

-- context columns only for funnels broken down by context
select
    c.funnel_name,
    c.step_index,
    c.person_id,
    c.event_id,
    c.occurred_at,
    c.person_seq,
    {{ spoor_context_text('c.breakdown_path', 'ctx', fct_events_columns) }} as breakdown_value,
    {{ spoor_built_at() }} as _built_at
from matched as c
left join {{ ref('fct_events') }} as ctx on c.event_id = ctx.event_id
where c.breakdown_path like 'context.%'
