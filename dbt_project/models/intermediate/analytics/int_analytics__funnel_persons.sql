-- One row per funnel and person who reached step 1: the furthest step over all attempts,
-- the best attempt (furthest, then earliest t1) whose step times feed the time columns,
-- whether an exclusion removes the person (ordered/strict), and the first-touch breakdown.
-- Incremental per person (config in dbt_project.yml; macros/analytics/incremental_persons.sql).
-- depends_on: {{ ref('int_analytics__events') }}
with steps as (
    select * from {{ ref('int_analytics__funnel_attempt_steps') }}
    {%- if is_incremental() %}
    where {{ spoor_analytics_rebuild_filter('person_id') }}
    {%- endif %}
),

attempts as (
    select
        funnel_name,
        person_id,
        attempt_id,
        t1,
        max(step_index) as reached
    from steps
    group by funnel_name, person_id, attempt_id, t1
),

best as (
    select
        funnel_name,
        person_id,
        attempt_id,
        reached
    from (
        select
            *,
            row_number() over (
                partition by funnel_name, person_id order by reached desc, t1 asc, attempt_id asc
            ) as attempt_rank
        from attempts
    ) as ranked
    where attempt_rank = 1
),

-- An attempt that reached from_step, with an exclusion strictly after that step and
-- strictly before its to_step (or, if to_step was not reached, up to its window end).
excluded as (
    select distinct
        s_from.funnel_name,
        s_from.person_id
    from steps as s_from
    inner join {{ source('config', 'funnels') }} as f
        on s_from.funnel_name = f.funnel_name and f.funnel_order in ('ordered', 'strict')
    inner join {{ ref('int_analytics__funnel_exclusion_matches') }} as x
        on
            s_from.funnel_name = x.funnel_name
            and s_from.person_id = x.person_id
            and s_from.step_index = x.from_step
    left join steps as s_to
        on
            s_from.funnel_name = s_to.funnel_name
            and s_from.attempt_id = s_to.attempt_id
            and s_to.step_index = x.to_step
    where
        x.occurred_at > s_from.occurred_at
        and case
            when s_to.attempt_id is not null then x.occurred_at < s_to.occurred_at
            else x.occurred_at <= s_from.window_end
        end
),

-- First touch: the earliest event matching any step with a non-empty value.
first_touch as (
    select
        funnel_name,
        person_id,
        breakdown_value
    from (
        select
            funnel_name,
            person_id,
            breakdown_value,
            row_number() over (
                partition by funnel_name, person_id order by occurred_at, event_id
            ) as touch_rank
        from {{ ref('int_analytics__funnel_step_matches') }}
        where
            breakdown_value <> ''
            {%- if is_incremental() %}
            and {{ spoor_analytics_rebuild_filter('person_id') }}
            {%- endif %}
            and breakdown_value is not null
    ) as ranked
    where touch_rank = 1
)

select
    b.funnel_name,
    b.person_id,
    b.reached,
    b.attempt_id as best_attempt_id,
    x.person_id is not null as is_excluded,
    coalesce(t.breakdown_value, '') as breakdown_value,
    {{ spoor_built_at() }} as _built_at
from best as b
left join excluded as x on b.funnel_name = x.funnel_name and b.person_id = x.person_id
left join first_touch as t on b.funnel_name = t.funnel_name and b.person_id = t.person_id
