-- Every funnel attempt and the steps it reached, with the time each was reached.
-- ordered/strict: the greedy chain (macro spoor_funnel_chain, recursive over steps).
-- unordered: each matching event opens an attempt at t0; it reaches the distinct steps
-- matched in [t0, t0 + window] before the first exclusion after t0; step_index ranks the
-- steps' first times, so "reached step k" means "did k distinct steps".
with matches as (
    select * from {{ ref('int_analytics__funnel_step_matches') }}
),

funnels as (
    select * from {{ source('config', 'funnels') }}
),

chain as (
    {{ spoor_funnel_chain('matches', 'funnels') }}
),

opens as (
    select distinct
        m.funnel_name,
        m.person_id,
        m.event_id as attempt_id,
        m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end
    from matches as m
    inner join funnels as f on m.funnel_name = f.funnel_name
    where f.funnel_order = 'unordered'
),

first_exclusion as (
    select
        o.funnel_name,
        o.attempt_id,
        min(x.occurred_at) as excluded_at
    from opens as o
    inner join {{ ref('int_analytics__funnel_exclusion_matches') }} as x
        on
            o.funnel_name = x.funnel_name
            and o.person_id = x.person_id
            and x.occurred_at > o.t1
            and x.occurred_at <= o.window_end
    group by all
),

unordered_steps as (
    select
        o.funnel_name,
        o.person_id,
        o.attempt_id,
        o.t1,
        o.window_end,
        m.step_index as matched_step,
        min(m.occurred_at) as occurred_at,
        {{ value_at_min('m.event_id', ['m.occurred_at', 'm.event_id']) }} as event_id
    from opens as o
    inner join matches as m
        on
            o.funnel_name = m.funnel_name
            and o.person_id = m.person_id
            and m.occurred_at between o.t1 and o.window_end
    left join first_exclusion as x
        on o.funnel_name = x.funnel_name and o.attempt_id = x.attempt_id
    where x.excluded_at is null or m.occurred_at < x.excluded_at
    group by all
)

select
    funnel_name,
    person_id,
    attempt_id,
    t1,
    window_end,
    step_index,
    event_id,
    occurred_at
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
    occurred_at
from unordered_steps
