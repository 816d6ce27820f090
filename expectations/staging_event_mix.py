"""staging_event_mix: each known event's share of the day close to its trailing share.

An event key is the event name for track calls and the type for the others (page and
screen names are too many to be a mix). A key is known when its share over the trailing
days is at least ``min_history_share``; its day share must stay within
[min_ratio, max_ratio] x that share. A vanished event (share 0) fails; keys new today are
listed in the metadata but do not fail. A broken "Order Completed" call shows up here long
before anyone looks at the funnel.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, fetch_df, gxe, newest_raw_day, pct
from expectations.thresholds import StagingEventMix

SQL = """
with
events as (
    select
        received_date as d,
        case when event_type = 'track' then 'track:' || coalesce(event_name, '')
             else event_type end as event_key
    from staging.stg_raw__events
    where received_date between $from and $day
),
day_counts as (select event_key, count(*) as n from events where d = $day group by 1),
hist_counts as (select event_key, count(*) as n from events where d < $day group by 1),
totals as (
    select
        count(*) filter (where d = $day) as day_total,
        count(*) filter (where d < $day) as history_total,
        count(distinct d) filter (where d < $day) as history_days
    from events
)
select
    coalesce(h.event_key, c.event_key) as event_key,
    coalesce(c.n, 0) as day_events,
    coalesce(h.n, 0) as history_events,
    coalesce(c.n, 0) / nullif(t.day_total, 0) as day_share,
    coalesce(h.n, 0) / nullif(t.history_total, 0) as history_share,
    (coalesce(c.n, 0) / nullif(t.day_total, 0))
        / nullif(coalesce(h.n, 0) / nullif(t.history_total, 0), 0) as ratio,
    t.day_total,
    t.history_total,
    t.history_days
from hist_counts as h
full join day_counts as c on h.event_key = c.event_key
cross join totals as t
order by history_events desc, day_events desc, event_key
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: StagingEventMix) -> Prepared:
    day = day or newest_raw_day(con)
    if day is None:
        return Prepared(skipped="raw.events is empty")
    mix = fetch_df(con, SQL, {"from": day - dt.timedelta(days=p.history_days), "day": day})
    if len(mix):
        first = mix.iloc[0]
        day_total, history_total = int(first["day_total"]), int(first["history_total"])
        history_days = int(first["history_days"])
    else:
        day_total = history_total = history_days = 0
    mix = mix.drop(columns=["day_total", "history_total", "history_days"])
    known = mix[mix["history_share"].fillna(0) >= p.min_history_share].reset_index(drop=True)
    new = mix[(mix["history_events"] == 0) & (mix["day_events"] > 0)]
    expectations = [
        gxe().ExpectColumnValuesToBeBetween(
            column="ratio",
            min_value=p.min_ratio,
            max_value=p.max_ratio,
            meta={"what": f"event share outside {p.min_ratio}x-{p.max_ratio}x its trailing share"},
        )
    ]
    outside = known[(known["ratio"] < p.min_ratio) | (known["ratio"] > p.max_ratio)]
    observed = {
        "day_events": day_total,
        "history_events": history_total,
        "history_days_with_data": history_days,
        "known_keys": len(known),
        "keys_outside_band": outside["event_key"].tolist()[:20],
        "new_keys": new[["event_key", "day_events", "day_share"]].head(10).to_dict("records"),
        "shares": known[["event_key", "day_share", "history_share", "ratio"]]
        .head(30)
        .to_dict("records"),
    }
    skipped = None
    if history_days < p.min_history_days:
        skipped = (
            f"not enough history: {history_days} of the trailing {p.history_days} days "
            f"have data, {p.min_history_days} needed"
        )
    elif day_total < p.min_day_events:
        skipped = f"only {day_total} events that day, {p.min_day_events} needed"
    summary = f"{len(known)} known event keys, {len(outside)} outside the band" + (
        f" ({', '.join(outside['event_key'].head(3))}: "
        + ", ".join(
            f"{pct(r.day_share)} vs {pct(r.history_share)}" for r in outside.head(3).itertuples()
        )
        + ")"
        if len(outside)
        else ""
    )
    return Prepared(
        batches=[Batch("mix", known, expectations)],
        observed=observed,
        summary=summary,
        skipped=skipped,
        extra={"day": day},
    )


SUITE = Suite(
    name="staging_event_mix",
    severity="WARN",
    asset="staging.stg_raw__events",
    reads={"staging.stg_raw__events": ("received_date", "event_type", "event_name")},
    description=(
        "share of each known event (track name, or type) within a band of its trailing share"
    ),
    params=StagingEventMix,
    prepare=prepare,
)
