"""raw_volume_anomaly: the day's valid rows within a band around the trailing mean.

Catches a collector or SDK outage (too few rows) and a flood (bot, replay, retry storm).
Passes, saying so, while fewer than ``min_history_days`` trailing days have data.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations._trailing import day_vs_trailing
from expectations.core import Batch, Prepared, Suite, gxe, newest_raw_day, one_row
from expectations.thresholds import RawVolumeAnomaly

COUNTS = """
select received_day as d, count(*) as n
from raw.events
where received_day between $from and $day
group by received_day
"""


def prepare(con: duckdb.DuckDBPyConnection, day: dt.date | None, p: RawVolumeAnomaly) -> Prepared:
    day = day or newest_raw_day(con)
    if day is None:
        return Prepared(skipped="raw.events is empty")
    obs = day_vs_trailing(con, COUNTS, day, p.history_days)
    history = obs.pop("history")
    frame = one_row(valid_rows=obs["day_count"], ratio_to_trailing_mean=obs["ratio"])
    expectations = [
        gxe().ExpectColumnValuesToBeBetween(
            column="ratio_to_trailing_mean",
            min_value=p.min_ratio,
            max_value=p.max_ratio,
            meta={"what": f"valid rows outside {p.min_ratio}x-{p.max_ratio}x the trailing mean"},
        )
    ]
    mean = obs["history_mean"]
    summary = f"{obs['day_count']} valid rows" + (
        f", {obs['ratio']:.2f}x the trailing mean of {mean:.0f}" if mean else ""
    )
    skipped = None
    if obs["history_days_with_data"] < p.min_history_days:
        skipped = (
            f"not enough history: {obs['history_days_with_data']} of the trailing "
            f"{p.history_days} days have data, {p.min_history_days} needed"
        )
    return Prepared(
        batches=[Batch("day", frame, expectations)],
        observed=obs,
        summary=summary,
        skipped=skipped,
        extra={"day": day, "history": history},
    )


SUITE = Suite(
    name="raw_volume_anomaly",
    severity="WARN",
    asset="raw.events",
    reads={"raw.events": ("received_day",)},
    description="valid rows of the received day within a band around the trailing 7 days' mean",
    params=RawVolumeAnomaly,
    prepare=prepare,
)
