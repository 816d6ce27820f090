"""Files under the events root that the raw layer has not loaded yet.

The raw layer's manifest (raw.file_manifest) is the record of what was loaded; the sensor
and the one-shot compare the bucket's listing with it. Reading needs no lock, but DuckDB
refuses a read-only connection while another process writes: that is `WarehouseBusy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from ingestion.source import list_event_files


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's write lock (a run is writing)."""


@dataclass(frozen=True)
class Pending:
    files: list[str]
    days: list[date]  # received days of the pending files, sorted
    loaded_days: list[date]  # received days already in the raw layer, sorted


def loaded_files(warehouse: str) -> tuple[set[str], set[date]]:
    if not Path(warehouse).exists():
        return set(), set()
    try:
        con = duckdb.connect(warehouse, read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc).splitlines()[0]) from exc
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'file_manifest'"
        ).fetchall()[0][0]
        if not exists:
            return set(), set()
        rows = con.execute("select file, received_day from raw.file_manifest").fetchall()
    finally:
        con.close()
    return {file for file, _ in rows}, {day for _, day in rows if day is not None}


def pending(events_url: str, warehouse: str) -> Pending:
    files, days = loaded_files(warehouse)
    _, refs = list_event_files(events_url)
    new = [ref for ref in refs if ref.file not in files]
    return Pending(
        files=[ref.file for ref in new],
        days=sorted({ref.received_day for ref in new if ref.received_day}),
        loaded_days=sorted(days),
    )
