-- PostHog lifecycle per day, week and month (analytics timezone and week start):
-- new = first-ever active period; returning = active now and in the previous period;
-- resurrecting = active now, not in the previous period, but before; dormant = active
-- in the previous period but not now (PostHog plots it negative; counted positive here).
with settings as (
    select week_start from {{ source('config', 'settings') }}
),

periods as (
    select 'day' as period
    union all
    select 'week'
    union all
    select 'month'
),

-- active days (track, page or screen; analytics timezone) to periods
active as (
    select distinct
        p.period,
        d.person_id,
        {{ spoor_period_start('d.activity_date', 'p.period', 's.week_start') }} as period_start
    from {{ ref('int_analytics__person_days') }} as d
    cross join settings as s
    cross join periods as p
),

sequenced as (
    select
        period,
        person_id,
        period_start,
        lag(period_start) over w as previous_active,
        lead(period_start) over w as next_active,
        max(period_start) over (partition by period) as last_period
    from active
    window w as (partition by period, person_id order by period_start)
),

statuses as (
    select
        period,
        period_start,
        case
            when previous_active is null then 'new'
            when {{ spoor_add_periods('previous_active', 1, 'period') }} = period_start then 'returning'
            else 'resurrecting'
        end as status
    from sequenced
    union all
    -- dormant in the period after an active one when the next activity is not then
    select
        period,
        {{ spoor_add_periods('period_start', 1, 'period') }} as period_start,
        'dormant' as status
    from sequenced
    where
        (next_active is null or next_active > {{ spoor_add_periods('period_start', 1, 'period') }})
        and period_start < last_period
)

select
    cast(period as varchar) as period,
    cast(period_start as date) as period_start,
    cast(count(*) filter (where status = 'new') as bigint) as new_persons,
    cast(count(*) filter (where status = 'returning') as bigint) as returning_persons,
    cast(count(*) filter (where status = 'resurrecting') as bigint) as resurrecting_persons,
    cast(count(*) filter (where status = 'dormant') as bigint) as dormant_persons
from statuses
group by period, period_start
