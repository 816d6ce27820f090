"""Replay rejected messages after the tracking plan was fixed.

Re-validates `raw.rejected_events.raw_line` against the current plan (no file is read
again). Lines that now pass are appended to raw.events with their original lineage
(`file`, `line_number`, `source_id`, `received_day`; `_dlt_load_id` is the replay's load)
and recorded in `raw.replayed_rejections`:

    file, line_number, rejected_load_id, replayed_at, _dlt_load_id

Nothing is deleted (the raw layer is append-only): staging/audit hide a rejection when
(file, line_number) is in raw.replayed_rejections. Both tables are written in one dlt
load package, so a replay is all-or-nothing; a replayed line is never a candidate again.
Lines rejected before JSON (invalid_utf8, line_too_long, truncated_line) are not replayed:
their raw_line is not the complete original line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa

from ingestion.load import DEFAULT_DATASET_NAME, DEFAULT_PIPELINE_NAME, make_pipeline
from ingestion.plan import load_tracking_plan
from ingestion.plan_sql import sql_str
from ingestion.source import EVENTS_HINTS, SOURCE_NAME, _with_load_id
from ingestion.validate import INPUT_SCHEMA, NOT_REPLAYABLE, Validator

REPLAYED_SCHEMA = pa.schema(
    [
        ("file", pa.string()),
        ("line_number", pa.int64()),
        ("rejected_load_id", pa.string()),
        ("replayed_at", pa.timestamp("us", tz="UTC")),
    ]
)
REPLAY_BATCH_ROWS = 50_000


@dataclass
class ReplaySummary:
    candidates: int
    replayed: int
    load_id: str | None


def _candidates_sql(dataset: str, has_replayed: bool) -> str:
    q = lambda t: f'"{dataset.replace(chr(34), chr(34) * 2)}"."{t}"'  # noqa: E731
    skip = ", ".join(sql_str(r) for r in NOT_REPLAYABLE)
    already = (
        f"AND NOT EXISTS (SELECT 1 FROM {q('replayed_rejections')} p "
        "WHERE p.file = r.file AND p.line_number = r.line_number)"
        if has_replayed
        else ""
    )
    return f"""
        SELECT r.file, r.line_number, r.source_id, r.received_day, r.raw_line AS line,
               r._dlt_load_id AS rejected_load_id
        FROM {q("rejected_events")} r
        WHERE r.raw_bytes IS NULL
          AND NOT list_has_any(CAST(r.reasons AS VARCHAR[]), [{skip}])
          {already}
        ORDER BY r.file, r.line_number
    """


@dlt.source(name=SOURCE_NAME, max_table_nesting=0)
def replay_source(warehouse_path: str, dataset: str, plan_path: str, accept_unknown: Any) -> Any:
    """Replayed rejections. Resources: events (appended), replayed_rejections."""
    plan = load_tracking_plan(plan_path).with_unknown_events(accept_unknown)

    @dlt.resource(name="_replay_batches", selected=False)
    def batches() -> Iterator[tuple[pa.Table, pa.Table]]:
        validator = Validator(plan)
        con = duckdb.connect(warehouse_path, read_only=True)
        try:
            has_replayed = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = 'replayed_rejections'",
                [dataset],
            ).fetchall()[0][0]
            reader = con.sql(_candidates_sql(dataset, bool(has_replayed))).to_arrow_reader(
                REPLAY_BATCH_ROWS
            )
            yield REPLAYED_SCHEMA.empty_table(), None  # creates the table on first replay
            for rb in reader:
                n = rb.num_rows
                cols = {name: rb.column(name) for name in rb.schema.names}
                table = pa.Table.from_arrays(
                    [cols.get(f.name, pa.nulls(n, f.type)).cast(f.type) for f in INPUT_SCHEMA],
                    schema=INPUT_SCHEMA,
                )
                valid = validator.validate_table(table).valid
                if valid.num_rows == 0:
                    continue
                # valid rows keep input order, so keys line up with (file, line_number)
                keys = pa.table({"file": valid["file"], "line_number": valid["line_number"]})
                origin = pa.table(
                    {
                        "file": rb.column("file"),
                        "line_number": rb.column("line_number"),
                        "rejected_load_id": rb.column("rejected_load_id"),
                    }
                )
                marks = keys.join(origin, ["file", "line_number"]).append_column(
                    "replayed_at",
                    pa.repeat(
                        pa.scalar(datetime.now(UTC), REPLAYED_SCHEMA[3].type), valid.num_rows
                    ),
                )
                yield marks.select(REPLAYED_SCHEMA.names).cast(REPLAYED_SCHEMA), valid
        finally:
            con.close()
            validator.close()

    @dlt.transformer(
        data_from=batches, name="events", write_disposition="append", columns=EVENTS_HINTS
    )
    def events(item: tuple[pa.Table, pa.Table | None]) -> Iterator[pa.Table]:
        if item[1] is not None:
            yield _with_load_id(item[1])

    @dlt.transformer(data_from=batches, name="replayed_rejections", write_disposition="append")
    def replayed_rejections(item: tuple[pa.Table, pa.Table | None]) -> Iterator[pa.Table]:
        yield _with_load_id(item[0])

    return events, replayed_rejections


def run_replay(
    warehouse_path: str | Path,
    tracking_plan_path: str | Path,
    *,
    pipeline_name: str = DEFAULT_PIPELINE_NAME,
    dataset_name: str = DEFAULT_DATASET_NAME,
    pipelines_dir: str | None = None,
    accept_unknown_events: bool | None = None,
) -> ReplaySummary:
    """Re-validate not-yet-replayed rejections with the current plan; append the ones that
    pass to raw.events and mark them in raw.replayed_rejections."""
    pipeline = make_pipeline(
        warehouse_path,
        pipeline_name=pipeline_name,
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
    )
    if pipeline.has_pending_data:
        # finish an interrupted load first, so its rows count as already there
        pipeline.normalize()
        pipeline.load()
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        has_replayed = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = 'replayed_rejections'",
            [dataset_name],
        ).fetchall()[0][0]
        candidates = con.execute(
            f"SELECT count(*) FROM ({_candidates_sql(dataset_name, bool(has_replayed))})"
        ).fetchall()[0][0]
    finally:
        con.close()
    source = replay_source(
        str(warehouse_path), dataset_name, str(tracking_plan_path), accept_unknown_events
    )
    info = pipeline.run(source, loader_file_format="parquet")
    info.raise_on_failed_jobs()
    load_id = info.loads_ids[-1] if info.loads_ids else None
    replayed = 0
    if load_id:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("replayed_rejections")
            replayed = int(
                client.execute_sql(
                    f"SELECT count(*) FROM {table} WHERE _dlt_load_id = %s", load_id
                )[0][0]
            )
    return ReplaySummary(int(candidates), replayed, load_id)
