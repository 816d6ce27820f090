-- Every funnel attempt and the steps it reached, with the time each was reached.
-- ordered/strict: the greedy chain (macro spoor_funnel_chain, recursive over steps).
-- unordered: each matching event opens an attempt at t0; in [t0, t0 + window] before the
-- first exclusion after t0 it takes, in order, each event that can fill a step of its own
-- (macro spoor_funnel_unordered_steps); step_index ranks the events taken, so "reached
-- step k" means "filled k distinct steps".
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
-- depends_on: {{ ref('int_analytics__events') }}
with matches as (
    select * from {{ ref('int_analytics__funnel_step_matches') }}
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('person_id') }}
    {%- endif %}
),

funnels as (
    select * from {{ source('config', 'funnels') }}
),

exclusions as (
    select * from {{ ref('int_analytics__funnel_exclusion_matches') }}
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('person_id') }}
    {%- endif %}
),

chain as (
    {{ spoor_funnel_chain('matches', 'funnels') }}
),

unordered_steps as (
    {{ spoor_funnel_unordered_steps('matches', 'funnels', 'exclusions') }}
)

select
    funnel_name,
    person_id,
    attempt_id,
    t1,
    window_end,
    step_index,
    event_id,
    occurred_at,
    {{ spoor_built_at() }} as _built_at
from chain

union all

select
    funnel_name,
    person_id,
    attempt_id,
    t1,
    window_end,
    row_number() over (
        partition by funnel_name, attempt_id order by occurred_at, matched_step
    ) as step_index,
    event_id,
    occurred_at,
    {{ spoor_built_at() }} as _built_at
from unordered_steps
