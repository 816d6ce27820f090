-- Daily, weekly (7 days ending that day) and monthly (30 days ending that day) active
-- persons, as PostHog's DAU/WAU/MAU, for every day from the first to the newest event.
-- Days are cut in the analytics timezone. Active = a track, page or screen event
-- (identify/alias/group are bookkeeping, not use; int_analytics__person_days).
-- stickiness = DAU / MAU.
with person_days as (
    select
        person_id,
        activity_date
    from {{ ref('int_analytics__person_days') }}
),

days as (
    select
        {{ explode_range('min(activity_date)', 'max(activity_date)', dates=true) }} as activity_date
    from person_days
),

counts as (
    select
        d.activity_date,
        count(distinct p.person_id) filter (where p.activity_date = d.activity_date) as dau,
        count(distinct p.person_id) filter (where p.activity_date > {{ add_days('d.activity_date', -7) }}) as wau,
        count(distinct p.person_id) as mau
    from days as d
    left join person_days as p
        on p.activity_date between {{ add_days('d.activity_date', -29) }} and d.activity_date
    group by d.activity_date
)

select
    activity_date,
    cast(dau as bigint) as daily_active_persons,
    cast(wau as bigint) as weekly_active_persons,
    cast(mau as bigint) as monthly_active_persons,
    cast(dau / nullif(mau, 0) as double) as stickiness
from counts
