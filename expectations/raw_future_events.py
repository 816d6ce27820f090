"""raw_future_events: no corrected event time far after the collector received it.

Event time as contract §1 defines it (the same expression as staging's occurred_at):
receivedAt - (sentAt - originalTimestamp) when both client times are present, else
timestamp, else receivedAt. Events "from the future" come from bad client clocks without
sentAt; they distort sessions and funnels but are not lost, so this warns.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, fetch_df, gxe, newest_raw_day
from expectations.thresholds import RawFutureEvents

SQL = """
select
    message_id,
    type,
    received_at,
    timestamp,
    original_timestamp,
    sent_at,
    occurred_at,
    epoch(occurred_at) - epoch(received_at) as seconds_after_received,
    file,
    line_number
from (
    select
        *,
        case
            when sent_at is not null and original_timestamp is not null
                then received_at - (sent_at - original_timestamp)
            else coalesce(timestamp, received_at)
        end as occurred_at
    from raw.events
    where received_day = $day
)
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: RawFutureEvents) -> Prepared:
    day = day or newest_raw_day(con)
    if day is None:
        return Prepared(skipped="raw.events is empty")
    frame = fetch_df(con, SQL, {"day": day})
    ahead = frame["seconds_after_received"]
    n_future = int((ahead > p.tolerance_s).sum())
    observed = {
        "rows": len(frame),
        "future_rows": n_future,
        "future_share": n_future / len(frame) if len(frame) else None,
        "max_seconds_after_received": float(ahead.max()) if len(frame) else None,
    }
    expectations = [
        gxe().ExpectColumnValuesToBeBetween(
            column="seconds_after_received",
            max_value=p.tolerance_s,
            mostly=p.mostly,
            meta={"what": f"event time more than {p.tolerance_s:.0f} s after received_at"},
        )
    ]
    summary = f"{n_future} of {len(frame)} rows more than {p.tolerance_s:.0f} s in the future"
    return Prepared(
        batches=[Batch("day", frame, expectations)],
        observed=observed,
        summary=summary,
        skipped=None if len(frame) else "no rows that day",
        extra={"day": day},
    )


SUITE = Suite(
    name="raw_future_events",
    severity="WARN",
    asset="raw.events",
    reads={
        "raw.events": (
            "received_day",
            "message_id",
            "type",
            "timestamp",
            "original_timestamp",
            "sent_at",
            "received_at",
            "file",
            "line_number",
        )
    },
    description="corrected event time at most a tolerance (1 day) after received_at",
    params=RawFutureEvents,
    prepare=prepare,
)
