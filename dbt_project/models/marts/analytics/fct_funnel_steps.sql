-- Funnel step counts for every funnel in config.funnels, per first-touch breakdown value
-- and '(all)'. persons(k) counts persons whose best attempt reached at least step k;
-- persons removed by an exclusion count nowhere.
with persons as (
    select * from {{ ref('int_analytics__funnel_persons') }}
    where not is_excluded
),

grouped as (
    select
        funnel_name,
        '(all)' as breakdown_value,
        person_id,
        reached,
        best_attempt_id
    from persons
    union all
    select
        p.funnel_name,
        p.breakdown_value,
        p.person_id,
        p.reached,
        p.best_attempt_id
    from persons as p
    inner join {{ source('config', 'funnels') }} as f
        on p.funnel_name = f.funnel_name and f.breakdown_path is not null
),

-- every funnel has its '(all)' rows even with no data; breakdown values as seen
breakdowns as (
    select
        funnel_name,
        '(all)' as breakdown_value
    from {{ source('config', 'funnels') }}
    union
    select
        funnel_name,
        breakdown_value
    from grouped
),

grid as (
    select
        b.funnel_name,
        b.breakdown_value,
        s.step_index,
        s.step_name
    from breakdowns as b
    inner join {{ source('config', 'funnel_steps') }} as s on b.funnel_name = s.funnel_name
),

counts as (
    select
        g.funnel_name,
        g.breakdown_value,
        g.step_index,
        count(p.person_id) as persons
    from grid as g
    left join grouped as p
        on
            g.funnel_name = p.funnel_name
            and g.breakdown_value = p.breakdown_value
            and p.reached >= g.step_index
    group by g.funnel_name, g.breakdown_value, g.step_index
),

-- time from step k-1 to step k within each person's best attempt; 0s conversions ignored
step_times as (
    select
        s.funnel_name,
        s.attempt_id,
        s.step_index,
        {{ spoor_seconds_between(
            'lag(s.occurred_at) over (partition by s.funnel_name, s.attempt_id order by s.step_index)',
            's.occurred_at') }} as seconds_from_previous
    from {{ ref('int_analytics__funnel_attempt_steps') }} as s
    inner join persons as p on s.funnel_name = p.funnel_name and s.attempt_id = p.best_attempt_id
),

times as (
    select
        p.funnel_name,
        p.breakdown_value,
        t.step_index,
        -- summed as whole microseconds: the same rows give the same mean in any order
        -- (an incremental build and a full refresh store events in different orders)
        cast(sum(cast(round(t.seconds_from_previous * 1e6) as decimal(38, 0))) as double)
        / count(*) / 1e6 as avg_seconds,
        {{ median('t.seconds_from_previous') }} as median_seconds
    from grouped as p
    inner join step_times as t
        on p.funnel_name = t.funnel_name and p.best_attempt_id = t.attempt_id
    where t.seconds_from_previous > 0
    group by p.funnel_name, p.breakdown_value, t.step_index
)

select
    cast(c.funnel_name as varchar) as funnel_name,
    cast(c.breakdown_value as varchar) as breakdown_value,
    cast(c.step_index as integer) as step_index,
    cast(g.step_name as varchar) as step_name,
    cast(c.persons as bigint) as persons,
    cast(c.persons / nullif(first_value(c.persons) over w, 0) as double) as conversion_from_start,
    -- step 1's previous step is itself (PostHog's fromPrevious is 100% there)
    cast(c.persons / nullif(coalesce(lag(c.persons) over w, c.persons), 0) as double)
        as conversion_from_previous,
    cast(t.avg_seconds as double) as avg_seconds_from_previous,
    cast(t.median_seconds as double) as median_seconds_from_previous
from counts as c
inner join grid as g using (funnel_name, breakdown_value, step_index)
left join times as t using (funnel_name, breakdown_value, step_index)
window w as (partition by c.funnel_name, c.breakdown_value order by c.step_index)
