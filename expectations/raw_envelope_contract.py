"""raw_envelope_contract: every valid row of the day has the envelope contract §1 requires.

Ingestion rejects lines that break the envelope, so a failure here means the validator
and the contract disagree and invalid rows reached raw.events: blocking (ERROR).
Empty strings count as missing, as the validator's "non-empty string" rules say.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, col, fetch_df, gxe, newest_raw_day
from expectations.thresholds import RawEnvelopeContract

SQL = """
select
    nullif(message_id, '') as message_id,
    type,
    nullif(event, '') as event,
    coalesce(nullif(user_id, ''), nullif(anonymous_id, '')) as identity,
    nullif(previous_id, '') as previous_id,
    nullif(group_id, '') as group_id,
    received_at,
    file,
    line_number
from raw.events
where received_day = $day
"""


def prepare(
    con: duckdb.DuckDBPyConnection, day: dt.date | None, p: RawEnvelopeContract
) -> Prepared:
    day = day or newest_raw_day(con)
    if day is None:
        return Prepared(skipped="raw.events is empty")
    frame = fetch_df(con, SQL, {"day": day})
    e = gxe()
    not_null = e.ExpectColumnValuesToNotBeNull
    expectations = [
        not_null(column="message_id", meta={"what": "message_id missing"}),
        e.ExpectColumnValuesToBeInSet(
            column="type", value_set=list(p.event_types), meta={"what": "type not one of the six"}
        ),
        not_null(column="type", meta={"what": "type missing"}),
        not_null(column="received_at", meta={"what": "received_at missing"}),
        not_null(
            column="identity",
            row_condition=col("type") != "alias",
            meta={"what": "neither anonymousId nor userId (non-alias)"},
        ),
        not_null(
            column="event",
            row_condition=col("type") == "track",
            meta={"what": "track without event"},
        ),
        not_null(
            column="previous_id",
            row_condition=col("type") == "alias",
            meta={"what": "alias without previousId"},
        ),
        not_null(
            column="group_id",
            row_condition=col("type") == "group",
            meta={"what": "group without groupId"},
        ),
    ]
    by_type = frame["type"].value_counts(dropna=False)
    observed = {"rows": len(frame), "rows_by_type": {str(k): int(v) for k, v in by_type.items()}}
    return Prepared(
        batches=[Batch("day", frame, expectations)],
        observed=observed,
        summary=f"{len(frame)} rows checked",
        skipped=None if len(frame) else "no rows that day",
        extra={"day": day},
    )


SUITE = Suite(
    name="raw_envelope_contract",
    severity="ERROR",
    asset="raw.events",
    reads={
        "raw.events": (
            "received_day",
            "message_id",
            "type",
            "event",
            "anonymous_id",
            "user_id",
            "previous_id",
            "group_id",
            "received_at",
            "file",
            "line_number",
        )
    },
    description=(
        "envelope per contract §1: type in the six, message_id and received_at present, "
        "identity (except alias), event (track), previousId (alias), groupId (group)"
    ),
    params=RawEnvelopeContract,
    prepare=prepare,
)
