"""Reconcile the raw layer: every line of every file is accounted for exactly once.

Checks, per (file, load id) of raw.file_manifest:
  - lines = valid + rejected;
  - raw.events holds `valid` rows and raw.rejected_events holds `rejected` rows for it;
  - no file has two manifest rows (loaded twice);
and that no event or rejection row exists without a manifest row, except events appended
by a replay (ingestion/replay.py), which are matched to raw.replayed_rejections instead.
The lead wraps `reconcile()` as a Dagster asset check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class FileMismatch:
    file: str | None
    load_id: str | None
    problem: (
        str  # lines_mismatch | events_mismatch | rejected_mismatch | duplicate_file | orphan_rows
    )
    detail: str


@dataclass
class ReconciliationResult:
    passed: bool
    files_checked: int
    failing: list[FileMismatch] = field(default_factory=list)


def _has_table(con: duckdb.DuckDBPyConnection, dataset: str, table: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [dataset, table],
    ).fetchall()
    return rows[0][0] > 0


def reconcile(
    warehouse: str | Path | duckdb.DuckDBPyConnection, dataset: str = "raw"
) -> ReconciliationResult:
    """Check raw.file_manifest against raw.events / raw.rejected_events (see module doc)."""
    con = warehouse if isinstance(warehouse, duckdb.DuckDBPyConnection) else None
    own = con is None
    if own:
        con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _reconcile(con, dataset)
    finally:
        if own:
            con.close()


def _reconcile(con: duckdb.DuckDBPyConnection, dataset: str) -> ReconciliationResult:
    if not _has_table(con, dataset, "file_manifest"):
        return ReconciliationResult(True, 0)
    q = lambda t: f'"{dataset.replace(chr(34), chr(34) * 2)}"."{t}"'  # noqa: E731
    replays = (
        f"SELECT file, line_number, _dlt_load_id FROM {q('replayed_rejections')}"
        if _has_table(con, dataset, "replayed_rejections")
        else "SELECT NULL::VARCHAR AS file, NULL::BIGINT AS line_number, "
        "NULL::VARCHAR AS _dlt_load_id WHERE false"
    )
    failing: list[FileMismatch] = []
    sql = f"""
        WITH e AS (SELECT file, _dlt_load_id, count(*) AS n FROM {q("events")} GROUP BY ALL),
        r AS (SELECT file, _dlt_load_id, count(*) AS n FROM {q("rejected_events")} GROUP BY ALL)
        SELECT m.file, m._dlt_load_id, m.lines, m.valid, m.rejected,
               coalesce(e.n, 0), coalesce(r.n, 0)
        FROM {q("file_manifest")} m
        LEFT JOIN e ON e.file = m.file AND e._dlt_load_id = m._dlt_load_id
        LEFT JOIN r ON r.file = m.file AND r._dlt_load_id = m._dlt_load_id
        ORDER BY m.file, m._dlt_load_id
    """
    rows = con.execute(sql).fetchall()
    for file, load_id, lines, valid, rejected, n_events, n_rejected in rows:
        if lines != valid + rejected:
            failing.append(
                FileMismatch(
                    file,
                    load_id,
                    "lines_mismatch",
                    f"lines={lines} valid={valid} rejected={rejected}",
                )
            )
        if n_events != valid:
            failing.append(
                FileMismatch(
                    file,
                    load_id,
                    "events_mismatch",
                    f"manifest valid={valid}, raw.events has {n_events}",
                )
            )
        if n_rejected != rejected:
            failing.append(
                FileMismatch(
                    file,
                    load_id,
                    "rejected_mismatch",
                    f"manifest rejected={rejected}, raw.rejected_events has {n_rejected}",
                )
            )
    for file, n in con.execute(
        f"SELECT file, count(*) FROM {q('file_manifest')} GROUP BY file HAVING count(*) > 1"
    ).fetchall():
        failing.append(FileMismatch(file, None, "duplicate_file", f"{n} manifest rows"))
    orphans = f"""
        SELECT t.file, t._dlt_load_id, count(*) FROM (
            SELECT file, line_number, _dlt_load_id, 'events' AS tbl FROM {q("events")}
            UNION ALL
            SELECT file, line_number, _dlt_load_id, 'rejected' FROM {q("rejected_events")}
        ) t
        WHERE NOT EXISTS (SELECT 1 FROM {q("file_manifest")} m
                          WHERE m.file = t.file AND m._dlt_load_id = t._dlt_load_id)
          AND NOT (t.tbl = 'events' AND EXISTS (
                SELECT 1 FROM ({replays}) p WHERE p.file = t.file
                  AND p.line_number = t.line_number AND p._dlt_load_id = t._dlt_load_id))
        GROUP BY ALL ORDER BY ALL
    """
    for file, load_id, n in con.execute(orphans).fetchall():
        failing.append(
            FileMismatch(file, load_id, "orphan_rows", f"{n} rows without a manifest row")
        )
    return ReconciliationResult(not failing, len(rows), failing)
