"""Run the raw-layer load: a dlt pipeline with the DuckDB destination at a given file."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion.reader import (
    DEFAULT_BATCH_LINES,
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DEFAULT_MAX_LINE_BYTES,
)
from ingestion.source import spoor_events
from ingestion.validate import EVENTS_FILE_SCHEMA

DEFAULT_PIPELINE_NAME = "spoor_events"
DEFAULT_DATASET_NAME = "raw"


@dataclass
class LoadSummary:
    load_ids: list[str]  # every package this run loaded (incl. a pending one it finished)
    files: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    bytes: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    files_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def load_id(self) -> str | None:
        """The newest load id of this run (None when nothing was loaded)."""
        return self.load_ids[-1] if self.load_ids else None


# The load copies parquet files into the warehouse: bounded memory (DuckDB spills), and no
# need to keep rows in file order.
LOAD_DUCKDB_CONFIG = {"memory_limit": "1GB", "preserve_insertion_order": False}
# Parquet files copied into the warehouse at once. dlt's default (20 workers) made the
# inserts share the 1 GB cap: "Out of Memory" transient errors and retried jobs. One at a
# time leaves a core idle (15.8 s vs 6.0 s for two, 1M events).
LOAD_PARALLEL_JOBS = 2


# raw.events' JSON columns (~650 bytes per event) and unique message ids: DuckDB's
# automatic choice (FSST, dictionary) compresses them slower and worse than zstd. At 5M
# events the load step takes 15.2 -> ~10 s and the table 812 -> 398 MB on disk, with scans
# as fast (zstd on the other id columns made it slower and larger). dlt cannot declare a
# compression, so the table is created before dlt first loads it, as dlt would create it
# from the spooled files; dlt then finds every column in place and leaves it as it is.
ZSTD_COLUMNS = ("message_id", "properties", "traits", "context")


def create_events_table(warehouse_path: str | Path, dataset: str) -> bool:
    """Create `<dataset>.events` with zstd for ZSTD_COLUMNS unless it exists; True if so."""
    with duckdb.connect(str(warehouse_path)) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = 'events'",
            [dataset],
        ).fetchall()
        if found[0][0]:
            return False
        con.register("spooled", EVENTS_FILE_SCHEMA.empty_table())
        types = {name: type_ for name, type_, *_ in con.execute("DESCRIBE spooled").fetchall()}
        columns = ", ".join(
            f'"{f.name}" {types[f.name]}'
            + (" USING COMPRESSION zstd" if f.name in ZSTD_COLUMNS else "")
            + ("" if f.nullable else " NOT NULL")
            for f in EVENTS_FILE_SCHEMA
        )
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{dataset}"')
        con.execute(f'CREATE TABLE "{dataset}".events ({columns})')
        return True


def default_pipelines_dir(warehouse_path: str | Path) -> str:
    # dlt's working state belongs to the warehouse it describes: keeping it next to the file
    # (not in ~/.dlt) means two warehouses never share "already loaded" state.
    return str(Path(warehouse_path).resolve()) + ".dlt"


def make_pipeline(
    warehouse_path: str | Path,
    *,
    pipeline_name: str = DEFAULT_PIPELINE_NAME,
    dataset_name: str = DEFAULT_DATASET_NAME,
    pipelines_dir: str | None = None,
) -> dlt.Pipeline:
    Path(warehouse_path).parent.mkdir(parents=True, exist_ok=True)
    create_events_table(warehouse_path, dataset_name)
    credentials = DuckDbCredentials(str(warehouse_path), global_config=LOAD_DUCKDB_CONFIG)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(credentials, max_parallel_load_jobs=LOAD_PARALLEL_JOBS),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir or default_pipelines_dir(warehouse_path),
    )


def delete_rows_of_incomplete_loads(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    """Delete the dataset's rows whose load never completed (load id not in `_dlt_loads`);
    return how many. Only while no load runs (writers are one at a time)."""
    found = con.execute(
        "SELECT table_name, count(*) FILTER (WHERE column_name = '_dlt_load_id') "
        "FROM information_schema.columns WHERE table_schema = ? GROUP BY 1 ORDER BY 1",
        [dataset],
    ).fetchall()
    tables = {name for name, has_load_id in found if has_load_id}
    if "_dlt_loads" not in {name for name, _ in found}:
        return 0
    deleted = 0
    for table in sorted(tables):  # names from the catalog, quoted
        deleted += con.execute(
            f'DELETE FROM "{dataset}"."{table}" WHERE _dlt_load_id NOT IN '
            f'(SELECT load_id FROM "{dataset}"._dlt_loads)'
        ).fetchone()[0]
    return deleted


def discard_incomplete_loads(pipeline: dlt.Pipeline, warehouse_path: str | Path) -> int:
    """Undo what a killed load left, before loading again; return the raw rows deleted.

    dlt would resume a pending package by re-running the jobs it had not marked complete,
    but a job whose rows DuckDB committed just before the kill is among them: its rows would
    be copied twice under the same load id. So a pending package is dropped with the local
    state instead (the state comes back from the destination, where only completed loads
    count: its files are extracted again under a new load id), and the rows of loads that
    never completed are deleted. Dagster's dlt resource drops the local state before every
    run, so its asset calls only the deletion (orchestration/defs/ingestion/raw_events.py).
    """
    if pipeline.has_pending_data:
        pipeline.drop()
    if not Path(warehouse_path).exists():
        return 0
    with duckdb.connect(str(warehouse_path)) as con:
        return delete_rows_of_incomplete_loads(con, pipeline.dataset_name)


def run_load(
    events_url: str,
    warehouse_path: str | Path,
    tracking_plan_path: str | Path,
    *,
    pipeline_name: str = DEFAULT_PIPELINE_NAME,
    dataset_name: str = DEFAULT_DATASET_NAME,
    pipelines_dir: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    batch_lines: int = DEFAULT_BATCH_LINES,
    accept_unknown_events: bool | None = None,
    day_from: date | None = None,
    day_until: date | None = None,
    storage_options: dict[str, Any] | None = None,
) -> LoadSummary:
    """Load every file under `events_url` not loaded before into `<dataset>.events`,
    `.rejected_events` and `.file_manifest` of the DuckDB file; return what was loaded."""
    pipeline = make_pipeline(
        warehouse_path,
        pipeline_name=pipeline_name,
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
    )
    discard_incomplete_loads(pipeline, warehouse_path)
    source = spoor_events(
        events_url=str(events_url),
        tracking_plan_path=str(tracking_plan_path),
        max_line_bytes=max_line_bytes,
        max_decompressed_bytes=max_decompressed_bytes,
        batch_lines=batch_lines,
        accept_unknown_events=accept_unknown_events,
        day_from=day_from,
        day_until=day_until,
        storage_options=storage_options,
    )
    # The long-lived objects made so far (dlt, pyarrow, the plan) are left out of the
    # cyclic GC's collections during the load, which otherwise rescan them all (a few % of
    # the load's CPU); unfrozen afterwards, so a long-lived caller leaks nothing.
    gc.freeze()
    try:
        info = pipeline.run(source, loader_file_format="parquet")
    finally:
        gc.unfreeze()
    info.raise_on_failed_jobs()
    return summarize(pipeline, list(info.loads_ids))


def summarize(pipeline: dlt.Pipeline, load_ids: list[str]) -> LoadSummary:
    summary = LoadSummary(load_ids=load_ids)
    if not load_ids:
        return summary
    with pipeline.sql_client() as client:
        manifest = client.make_qualified_table_name("file_manifest")
        rejected = client.make_qualified_table_name("rejected_events")
        marks = ", ".join("%s" for _ in load_ids)
        rows = client.execute_sql(
            f"SELECT count(*), coalesce(sum(valid), 0), coalesce(sum(rejected), 0), "
            f"coalesce(sum(bytes), 0) FROM {manifest} WHERE _dlt_load_id IN ({marks})",
            *load_ids,
        )
        summary.files, summary.rows_valid, summary.rows_rejected, summary.bytes = map(int, rows[0])
        for status, n in client.execute_sql(
            f"SELECT status, count(*) FROM {manifest} WHERE _dlt_load_id IN ({marks}) "
            "GROUP BY status ORDER BY status",
            *load_ids,
        ):
            summary.files_by_status[status] = int(n)
        for reason, n in client.execute_sql(
            f"SELECT reason, count(*) FROM (SELECT unnest(CAST(reasons AS VARCHAR[])) AS reason "
            f"FROM {rejected} WHERE _dlt_load_id IN ({marks})) GROUP BY reason ORDER BY reason",
            *load_ids,
        ):
            summary.rejected_by_reason[reason] = int(n)
    return summary
