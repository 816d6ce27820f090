"""staging_unique_message_ids: the deduplicated staging view has one row per message.

Reads the day's rows of staging.stg_raw__events (received_date is the received_day of the
copy kept). A duplicate means deduplication broke, and every count downstream is
inflated: blocking (ERROR). The dbt unique test checks the whole view; this one names
the day and the offending rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, fetch_df, gxe, newest_raw_day
from expectations.thresholds import StagingUniqueMessageIds

SQL = """
select event_id, event_type, received_at, file, line_number
from staging.stg_raw__events
where received_date = $day
"""


def prepare(
    con: duckdb.DuckDBPyConnection, day: dt.date | None, p: StagingUniqueMessageIds
) -> Prepared:
    day = day or newest_raw_day(con)
    if day is None:
        return Prepared(skipped="raw.events is empty")
    frame = fetch_df(con, SQL, {"day": day})
    e = gxe()
    expectations = [
        e.ExpectColumnValuesToNotBeNull(column="event_id", meta={"what": "event_id missing"}),
        e.ExpectColumnValuesToBeUnique(column="event_id", meta={"what": "duplicate event_id"}),
    ]
    ids = frame["event_id"]
    observed = {
        "rows": len(frame),
        "distinct_event_ids": int(ids.nunique()),
        "duplicated_rows": int(ids.duplicated(keep=False).sum()),
    }
    summary = f"{observed['rows']} rows, {observed['distinct_event_ids']} distinct event ids"
    return Prepared(
        batches=[Batch("day", frame, expectations)],
        observed=observed,
        summary=summary,
        skipped=None if len(frame) else "no staged rows that day",
        extra={"day": day},
    )


SUITE = Suite(
    name="staging_unique_message_ids",
    severity="ERROR",
    asset="staging.stg_raw__events",
    reads={
        "staging.stg_raw__events": (
            "received_date",
            "event_id",
            "event_type",
            "received_at",
            "file",
            "line_number",
        )
    },
    description="event_id (messageId) unique and not null among the day's staged events",
    params=StagingUniqueMessageIds,
    prepare=prepare,
)
