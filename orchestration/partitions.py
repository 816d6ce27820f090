"""Daily partitions on the received day, and the window of days a run covers.

A run covers received days [start, end):
- a partition or a range (the nightly schedule, the new-file sensor, a backfill from the
  UI): dlt loads only the new files of those days, and dbt rebuilds those days plus the
  lookback;
- a run tagged `spoor/scope=new-data` (the one-shot `spoor run`): its partition range
  spans the days that have data, for the record, while dlt and dbt process whatever is
  new, however old its day (a late file, replayed rejections).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from spoor.settings import Settings

SCOPE_TAG = "spoor/scope"
NEW_DATA = "new-data"

# end_offset=1: today's partition exists, so files that land today can be loaded today.
received_day = dg.DailyPartitionsDefinition(
    start_date=Settings.from_env().first_day, timezone="UTC", end_offset=1
)

# A backfill of any range is one run: one dlt load and one dbt build over the window.
single_run = dg.BackfillPolicy.single_run()


@dataclass(frozen=True)
class Window:
    """Received days [start, end); both None: everything new."""

    start: date | None = None
    end: date | None = None

    @property
    def everything_new(self) -> bool:
        return self.start is None

    @property
    def last_day(self) -> date | None:
        return self.end - timedelta(days=1) if self.end else None

    def days(self) -> list[date]:
        if self.start is None or self.end is None:
            return []
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def describe(self) -> str:
        if self.everything_new:
            return "everything new"
        return f"received days {self.start} .. {self.last_day}"


def window_from_tags(tags: Mapping[str, str]) -> Window:
    """The run's window, from the tags Dagster puts on partitioned runs."""
    if tags.get(SCOPE_TAG) == NEW_DATA:
        return Window()
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        first = date.fromisoformat(tags[ASSET_PARTITION_RANGE_START_TAG])
        last = date.fromisoformat(tags[ASSET_PARTITION_RANGE_END_TAG])
    elif PARTITION_NAME_TAG in tags:
        first = last = date.fromisoformat(tags[PARTITION_NAME_TAG])
    else:
        return Window()
    return Window(first, last + timedelta(days=1))


def clamp_to_partitions(day: date) -> date:
    """The nearest day Dagster offers as a partition (data may predate SPOOR_FIRST_DAY)."""
    first = date.fromisoformat(received_day.get_first_partition_key())
    last = date.fromisoformat(received_day.get_last_partition_key())
    return min(max(day, first), last)


def range_tags(first: date, last: date, *, everything_new: bool = False) -> dict[str, str]:
    """Tags of a run over the partitions first..last (inclusive), as one run."""
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }
    if everything_new:
        tags[SCOPE_TAG] = NEW_DATA
    return tags
