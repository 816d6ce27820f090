"""raw_rejected_rate: the share of the day's lines that were rejected stays under a ceiling.

A jump means a tracking-plan change or a broken SDK release; the lines are kept in
raw.rejected_events, so this warns rather than blocks.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import (
    Batch,
    Prepared,
    Suite,
    fetch_df,
    fetch_row,
    gxe,
    latest_day,
    one_row,
    pct,
)
from expectations.thresholds import RawRejectedRate

SQL = """
with
v as (select count(*) as n from raw.events where received_day = $day),
r as (select count(*) as n from raw.rejected_events where received_day = $day),
m as (
    select count(*) as files, sum(lines) as lines, sum(valid) as valid, sum(rejected) as rejected
    from raw.file_manifest where received_day = $day
)
select
    v.n as valid_lines,
    r.n as rejected_lines,
    v.n + r.n as total_lines,
    r.n / nullif(v.n + r.n, 0) as rejected_rate,
    m.files as manifest_files,
    m.lines as manifest_lines,
    m.valid as manifest_valid,
    m.rejected as manifest_rejected
from v, r, m
"""

TOP_REASONS = """
select reason, count(*) as lines
from (
    select unnest(cast(reasons as varchar[])) as reason
    from raw.rejected_events where received_day = $day
)
group by reason order by lines desc, reason limit $n
"""

TOP_FILES = """
select file, count(*) as rejected_lines
from raw.rejected_events where received_day = $day
group by file order by rejected_lines desc, file limit $n
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: RawRejectedRate) -> Prepared:
    day = day or latest_day(con, "select max(received_day) from raw.file_manifest")
    if day is None:
        return Prepared(skipped="no files loaded yet")
    row = fetch_row(con, SQL, {"day": day})
    frame = one_row(rejected_rate=row["rejected_rate"])
    extra = {"day": day}
    if row["rejected_lines"]:
        q = {"day": day, "n": p.top_n}
        extra["top_reasons"] = fetch_df(con, TOP_REASONS, q).to_dict(orient="records")
        extra["top_files"] = fetch_df(con, TOP_FILES, q).to_dict(orient="records")
    e = gxe()
    expectations = [
        e.ExpectColumnValuesToBeBetween(
            column="rejected_rate",
            min_value=0,
            max_value=p.max_rejected_rate,
            meta={"what": f"rejected rate over {pct(p.max_rejected_rate)}"},
        )
    ]
    summary = (
        f"{row['rejected_lines']} of {row['total_lines']} lines rejected "
        f"({pct(row['rejected_rate'])}, max {pct(p.max_rejected_rate)})"
    )
    return Prepared(
        batches=[Batch("day", frame, expectations)],
        observed=row,
        summary=summary,
        skipped=None if row["total_lines"] else "no lines received that day",
        extra=extra,
    )


SUITE = Suite(
    name="raw_rejected_rate",
    severity="WARN",
    asset="raw.rejected_events",
    reads={
        "raw.events": ("received_day",),
        "raw.rejected_events": ("received_day", "reasons", "file"),
        "raw.file_manifest": ("received_day", "lines", "valid", "rejected"),
    },
    description="rejected / (valid + rejected) lines of the received day under a ceiling",
    params=RawRejectedRate,
    prepare=prepare,
)
