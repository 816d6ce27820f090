-- Daily, weekly (7 days ending that day) and monthly (30 days ending that day) active
-- persons, as PostHog's DAU/WAU/MAU, for every day from the first to the newest event.
-- Days are cut in the analytics timezone. Active = a track, page or screen event
-- (identify/alias/group are bookkeeping, not use; int_analytics__person_days).
-- stickiness = DAU / MAU.
--
-- A person counts in a `width`-day window ending on day d when they were active on one of
-- its days: each active day a covers the days a .. a + width - 1. Each active day adds
-- only the days its predecessor (prev) did not cover, from max(a, prev + width), so a
-- person's coverings never overlap and a running sum of +1 (start) / -1 (end) counts
-- distinct persons per day, without joining every day to its 30 days of activity.
with person_days as (
    select
        activity_date,
        lag(activity_date) over (partition by person_id order by activity_date) as previous_date
    from {{ ref('int_analytics__person_days') }}
),

widths as (
    select 1 as width
    union all
    select 7
    union all
    select 30
),

changes as (
    select
        w.width,
        greatest(p.activity_date, coalesce({{ add_days('p.previous_date', 'w.width') }}, p.activity_date)) as change_date,
        1 as change
    from person_days as p
    cross join widths as w
    union all
    select
        w.width,
        {{ add_days('p.activity_date', 'w.width') }} as change_date,
        -1 as change
    from person_days as p
    cross join widths as w
),

daily_changes as (
    select
        width,
        change_date,
        sum(change) as change
    from changes
    group by width, change_date
),

days as (
    select
        {{ explode_range('min(activity_date)', 'max(activity_date)', dates=true) }} as activity_date
    from person_days
),

running as (
    select
        d.activity_date,
        w.width,
        sum(coalesce(c.change, 0)) over (
            partition by w.width order by d.activity_date rows between unbounded preceding and current row
        ) as active
    from days as d
    cross join widths as w
    left join daily_changes as c
        on c.width = w.width and c.change_date = d.activity_date
),

counts as (
    select
        activity_date,
        max(active) filter (where width = 1) as dau,
        max(active) filter (where width = 7) as wau,
        max(active) filter (where width = 30) as mau
    from running
    group by activity_date
)

select
    activity_date,
    cast(dau as bigint) as daily_active_persons,
    cast(wau as bigint) as weekly_active_persons,
    cast(mau as bigint) as monthly_active_persons,
    cast(dau / nullif(mau, 0) as double) as stickiness
from counts
