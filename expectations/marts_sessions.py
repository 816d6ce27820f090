"""marts_sessions: the day's sessions are plausible.

Every session that started that day: duration_s in [0, 24 h + tolerance] (sessions are
split at ``spoor__session_max_hours``), event_count >= 1, pageview_count <= event_count.
The day's session count within absolute bounds and within a band of the trailing days'
mean (the band is skipped, saying so, without enough history). WARN: sessions feed
reports, not other checks, and the dbt tests guard the hard invariants.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations._trailing import day_vs_trailing
from expectations.core import Batch, Prepared, Suite, fetch_df, gxe, latest_day, one_row
from expectations.thresholds import MartsSessions

ROWS = """
select
    session_id, person_id, started_at, ended_at, duration_s, event_count, pageview_count
from marts.fct_sessions
where cast(started_at as date) = $day
"""

COUNTS = """
select cast(started_at as date) as d, count(*) as n
from marts.fct_sessions
where cast(started_at as date) between $from and $day
group by 1
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: MartsSessions) -> Prepared:
    day = day or latest_day(con, "select max(cast(started_at as date)) from marts.fct_sessions")
    if day is None:
        return Prepared(skipped="fct_sessions is empty")
    rows = fetch_df(con, ROWS, {"day": day})
    trailing = day_vs_trailing(con, COUNTS, day, p.history_days)
    history = trailing.pop("history")
    e = gxe()
    max_s = p.max_duration_s + p.duration_tolerance_s
    row_expectations = [
        e.ExpectColumnValuesToBeBetween(
            column="duration_s",
            min_value=0,
            max_value=max_s,
            meta={"what": f"duration_s outside [0, {max_s:.0f}]"},
        ),
        e.ExpectColumnValuesToNotBeNull(column="duration_s", meta={"what": "duration_s missing"}),
        e.ExpectColumnValuesToBeBetween(
            column="event_count",
            min_value=p.min_event_count,
            meta={"what": f"event_count under {p.min_event_count}"},
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="event_count",
            column_B="pageview_count",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"what": "pageview_count above event_count"},
        ),
    ]
    count = trailing["day_count"]
    count_expectations = []
    if p.min_sessions is not None or p.max_sessions is not None:
        count_expectations.append(
            e.ExpectColumnValuesToBeBetween(
                column="sessions",
                min_value=p.min_sessions,
                max_value=p.max_sessions,
                meta={"what": f"session count outside [{p.min_sessions}, {p.max_sessions}]"},
            )
        )
    notes = []
    if trailing["history_days_with_data"] >= p.min_history_days:
        count_expectations.append(
            e.ExpectColumnValuesToBeBetween(
                column="ratio_to_trailing_mean",
                min_value=p.min_ratio,
                max_value=p.max_ratio,
                meta={"what": f"session count outside {p.min_ratio}x-{p.max_ratio}x trailing mean"},
            )
        )
    else:
        notes.append(
            f"trailing band not checked: {trailing['history_days_with_data']} of "
            f"{p.history_days} trailing days have sessions, {p.min_history_days} needed"
        )
    counts = one_row(sessions=count, ratio_to_trailing_mean=trailing["ratio"])
    durations = rows["duration_s"]
    observed = {
        **trailing,
        "sessions": len(rows),
        "max_duration_s": float(durations.max()) if len(rows) else None,
        "sessions_over_max_duration": int((durations > max_s).sum()),
        "sessions_without_events": int((rows["event_count"] < p.min_event_count).sum()),
    }
    mean = trailing["history_mean"]
    summary = f"{count} sessions" + (
        f" ({trailing['ratio']:.2f}x the trailing mean of {mean:.0f})" if mean else ""
    )
    return Prepared(
        batches=[
            Batch("sessions", rows, row_expectations),
            Batch("count", counts, count_expectations),
        ],
        observed=observed,
        summary=summary + "".join(f"; {n}" for n in notes),
        extra={"day": day, "history": history, "notes": notes},
    )


SUITE = Suite(
    name="marts_sessions",
    severity="WARN",
    asset="marts.fct_sessions",
    reads={
        "marts.fct_sessions": (
            "session_id",
            "person_id",
            "started_at",
            "ended_at",
            "duration_s",
            "event_count",
            "pageview_count",
        )
    },
    description=(
        "duration_s in [0, 24 h + 60 s], event_count >= 1, pageviews <= events; the day's "
        "session count within bounds and 0.5x-2x the trailing 7 days' mean"
    ),
    params=MartsSessions,
    prepare=prepare,
)
