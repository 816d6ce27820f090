-- Retention cells for every definition in config.retention_definitions: offset 0 is the
-- cohort size; offset k counts cohort persons with a return event k periods later (a
-- return in the cohort's own period does not count). Cells stop at the period holding
-- the newest event.
with defs as (
    select * from {{ source('config', 'retention_definitions') }}
),

activity as (
    select * from {{ ref('int_analytics__retention_activity') }}
),

newest as (
    select
        d.retention_name,
        {{ spoor_period_start(spoor_local_time('max(e.occurred_at)', 'max(s.timezone)'),
            'd.period', 'max(s.week_start)') }} as last_period
    from defs as d
    cross join {{ ref('int_analytics__events') }} as e
    cross join {{ source('config', 'settings') }} as s
    group by d.retention_name, d.period
),

cohorts as (
    select
        retention_name,
        period_start as cohort_start,
        count(*) as cohort_size
    from activity
    where activity = 'cohort'
    group by retention_name, period_start
),

grid as (
    select
        c.retention_name,
        d.period,
        c.cohort_start,
        c.cohort_size,
        {{ explode_range('0', 'd.intervals') }} as period_offset
    from cohorts as c
    inner join defs as d on c.retention_name = d.retention_name
),

returns as (
    select
        c.retention_name,
        c.period_start as cohort_start,
        {{ spoor_periods_between('c.period_start', 'r.period_start', 'd.period') }} as period_offset,
        count(distinct c.person_id) as retained_persons
    from activity as c
    inner join activity as r
        on
            c.retention_name = r.retention_name
            and c.person_id = r.person_id
            and r.period_start > c.period_start
    inner join defs as d on c.retention_name = d.retention_name
    where c.activity = 'cohort' and r.activity = 'return'
    group by
        c.retention_name,
        c.period_start,
        {{ spoor_periods_between('c.period_start', 'r.period_start', 'd.period') }}
)

select
    cast(g.retention_name as varchar) as retention_name,
    cast(g.period as varchar) as period,
    cast(g.cohort_start as date) as cohort_start,
    cast(g.period_offset as integer) as period_offset,
    cast(g.cohort_size as bigint) as cohort_size,
    cast(
        case when g.period_offset = 0 then g.cohort_size else coalesce(r.retained_persons, 0) end
        as bigint
    ) as retained_persons,
    cast(
        case when g.period_offset = 0 then g.cohort_size else coalesce(r.retained_persons, 0) end
        / g.cohort_size as double
    ) as retention_rate
from grid as g
inner join newest as n on g.retention_name = n.retention_name
left join returns as r
    on
        g.retention_name = r.retention_name
        and g.cohort_start = r.cohort_start
        and g.period_offset = r.period_offset
where {{ spoor_add_periods('g.cohort_start', 'g.period_offset', 'g.period') }} <= n.last_period
