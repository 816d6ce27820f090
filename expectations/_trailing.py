"""The day's count against the mean of the trailing days (shared by the volume suites)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb


def day_vs_trailing(
    con: duckdb.DuckDBPyConnection, counts_sql: str, day: dt.date, history_days: int
) -> dict[str, Any]:
    """``counts_sql`` selects ``(d date, n bigint)`` for ``d between $from and $day``.

    Trailing days without rows are left out of the mean (a day with no files is its own
    anomaly, reported on that day), so ``history_days_with_data`` can be below
    ``history_days``.
    """
    rows = con.execute(
        counts_sql, {"from": day - dt.timedelta(days=history_days), "day": day}
    ).fetchall()
    counts = {d: int(n) for d, n in rows}
    day_count = counts.pop(day, 0)
    history = [n for d, n in sorted(counts.items()) if d < day and n > 0]
    mean = sum(history) / len(history) if history else None
    return {
        "day_count": day_count,
        "history_mean": mean,
        "history_days_with_data": len(history),
        "ratio": (day_count / mean) if mean else None,
        "history": {d.isoformat(): n for d, n in sorted(counts.items()) if d < day},
    }
